"""What notify answers its peers."""
