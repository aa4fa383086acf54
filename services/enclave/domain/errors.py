"""The domain's error family. Services raise these; ``enclave.api.errors`` maps each to one HTTP
status. Messages are written for the client: they name what is wrong, never internal detail."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The resource does not exist, or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller is known but the policy does not allow this action."""


class Unauthenticated(DomainError):
    """No valid credentials came with the request."""


class Conflict(DomainError):
    """The request conflicts with the current state (a duplicate, a reused idempotency key...)."""


class InvalidState(DomainError):
    """The resource is not in a state that allows this action (e.g. reviewing an unsubmitted task)."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""


class PreconditionRequired(DomainError):
    """An update came without If-Match."""


class Unavailable(DomainError):
    """A component the action needs is down; nothing was written."""


class InvalidInput(DomainError):
    """The request is well-formed but its content cannot be accepted (a bad cursor, an unknown id...)."""


class Gone(DomainError):
    """The resource existed and never will again (a shredded organization's data)."""


class TooLarge(DomainError):
    """The request body is larger than this kind of request may be."""


class UnsupportedContent(DomainError):
    """The uploaded bytes are not of a type this dataset accepts (or not the type declared)."""


class RateLimited(DomainError):
    """Too many attempts from this source; try again later."""
