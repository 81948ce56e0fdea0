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


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal on a Django form: next to the field it names when the form has
    that field, otherwise at the top of the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
