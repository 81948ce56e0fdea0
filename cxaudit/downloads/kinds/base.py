"""A table to export, a kind of export and the resolved request, with the helpers the
kinds share (location and wave filters, streaming rows through a server-side cursor)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from cxaudit.accounts.capabilities import Cap
from cxaudit.accounts.scope import LocationScope
from cxaudit.journeys.models import Wave
from surveys.models import Campaign

Row = list[Any]


@dataclass
class Table:
    """One export's content: its file stem, sheet title, header and rows (read lazily)."""

    stem: str
    sheet: str
    header: list[str]
    # count() is the number of rows; count(limit) stops counting at `limit` (the request that
    # decides between now and later does not count a large export to the end).
    count: Callable[..., int]
    rows: Callable[[], Iterator[Row]]
    # Built by a query or two whatever its size (the gap report): always downloaded at once.
    small: bool = False


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # Every capability listed is needed (Cap.EXPORT_DATA and, e.g., Cap.MANAGE_PAYOUTS).
    capabilities: tuple[Cap, ...]
    build: Callable[..., Table]
    filters: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    help: str = ""

    def allowed(self, capabilities) -> bool:
        return all(c in capabilities for c in self.capabilities)


@dataclass(frozen=True)
class Request:
    """The resolved filters of one export (objects of the scope's organisation)."""

    scope: LocationScope
    xlsx: bool = False
    survey_code: str = ""
    wave: Wave | None = None
    location_id: int | None = None
    campaign: Campaign | None = None
    extra: dict = field(default_factory=dict)

    @property
    def org(self):
        return self.scope.organization

    def when(self, value: datetime | None) -> Any:
        """A moment as the format wants it: a local datetime in XLSX, ISO 8601 text in CSV."""
        if value is None:
            return None
        local = timezone.localtime(value)
        return local if self.xlsx else local.isoformat(timespec="seconds")


def stem_for(req: Request, *parts: str) -> str:
    bits = [req.org.slug, *parts]
    if req.wave is not None:
        bits.append(req.wave.name)
    bits.append(timezone.localdate().isoformat())
    return "-".join(_slug(b) for b in bits if b)


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text) or "export"


def located(req: Request, qs, field_name: str = "location", *, org_wide: bool = False):
    qs = req.scope.filter(qs, field_name, org_wide=org_wide)
    if req.location_id is not None:
        qs = qs.filter(**{f"{field_name}_id": req.location_id})
    if req.wave is not None:
        qs = qs.filter(wave=req.wave)
    return qs


def counter(qs) -> Callable[..., int]:
    def count(limit: int | None = None) -> int:
        return qs.count() if limit is None else qs.order_by()[:limit].count()

    return count


def stream_rows(
    qs, fields: tuple[str, ...], convert: dict[str, Callable[[Any], Any]], chunk: int = 2000
) -> Callable[[], Iterator[Row]]:
    """The rows of `fields` read through a server-side cursor, each field named in `convert`
    passed through its function (a moment as the format wants it, a status by its label)."""
    steps = [(fields.index(name), fn) for name, fn in convert.items()]

    def rows() -> Iterator[Row]:
        for record in qs.values_list(*fields).iterator(chunk_size=chunk):
            row = list(record)
            for index, fn in steps:
                row[index] = fn(row[index])
            yield row

    return rows


def moment_fields(req: Request, *names: str) -> dict[str, Callable[[Any], Any]]:
    return dict.fromkeys(names, req.when)


def labelled(choices) -> Callable[[Any], Any]:
    labels = dict(choices)
    return lambda value: labels.get(value, value)
