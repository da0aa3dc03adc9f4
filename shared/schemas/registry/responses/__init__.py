"""What the registry returns to a peer, by feature."""
