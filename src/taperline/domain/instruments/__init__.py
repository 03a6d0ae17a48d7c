"""Validated instruments, each declared as data with its citation and scoring."""
