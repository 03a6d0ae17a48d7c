"""Errors raised by the domain and the services, shared by every shell."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for errors the user can act on."""


class InvalidInput(DomainError):
    """A value the user gave is wrong. Names the field and the problem."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotFound(DomainError):
    """The thing asked for does not exist (or the actor may not know that it does)."""


class Forbidden(DomainError):
    """The actor may not do this."""
