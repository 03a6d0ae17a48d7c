"""Encrypted backups and all-or-nothing restores (see docs/operations.md)."""
