"""What the scheduler answers, by feature."""
