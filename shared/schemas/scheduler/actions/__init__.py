"""Request bodies a client sends to the scheduler, by feature."""
