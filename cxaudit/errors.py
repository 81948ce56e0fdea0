"""The one hierarchy of domain errors. Views turn them into form errors or messages."""


class DomainError(Exception):
    """A business rule refused the operation; the message is safe to show to the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """An object cannot move from its current state to the requested one."""


# The most problems a refusal lists (and a page renders, or a row stores); the rest are counted.
MAX_LISTED = 200


class ValidationFailed(DomainError):
    """Input was rejected; `errors` lists the problems as (location, reason), the first
    MAX_LISTED of them, and `total` counts them all (a file of 100,000 bad columns makes a
    short list and the number, never a 100,000-row page)."""

    def __init__(
        self,
        message: str,
        errors: list[tuple[str, str]] | None = None,
        *,
        total: int | None = None,
    ):
        super().__init__(message)
        errors = errors or []
        self.total = max(total or 0, len(errors))
        self.errors = list(errors[:MAX_LISTED])

    @property
    def unlisted(self) -> int:
        """How many problems were counted but not listed."""
        return self.total - len(self.errors)

    def lines(self) -> list[str]:
        """The listed problems as "where: why" lines, and how many more there were."""
        out = [f"{where}: {why}" for where, why in self.errors]
        if self.unlisted:
            out.append(f"... and {self.unlisted} more problem(s) ({self.total} in all).")
        return out


def apply_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal on a Django form: next to the field it names when the form has
    that field, otherwise at the top of the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
