"""Request bodies a peer sends to the registry, by feature."""
