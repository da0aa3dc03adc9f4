"""Request bodies a peer sends to notify."""
