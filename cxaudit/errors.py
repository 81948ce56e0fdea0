"""The one hierarchy of domain errors. Views turn them into form errors or messages."""


class DomainError(Exception):
    """A business rule refused the operation; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """An object cannot move from its current state to the requested one."""


class ValidationFailed(DomainError):
    """Input was rejected; `errors` lists every problem as (location, reason)."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.errors = errors or []
