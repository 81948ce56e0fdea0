"""KPIs: definitions, the values import (CSV, all or nothing, every bad line named) and the
figures the pages and the gap report show."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization
from cxaudit.csvinput import Problems, check_header
from cxaudit.csvinput import decode as csv_decode
from cxaudit.errors import ValidationFailed
from cxaudit.journeys.models import Wave
from surveys.imports.rows import FileRejected, delimiter_of, records

from .models import Kpi, KpiValue

COLUMNS = ("kpi", "location", "wave", "value")
MAX_ROWS = 100_000
LIMIT = Decimal("1e12")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0


def _number(text: str) -> Decimal:
    cleaned = text.strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # 12,5 as written in many locales
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text[:40]!r}") from exc
    if not value.is_finite():
        raise ValueError("not a finite number")
    if abs(value) >= LIMIT:
        raise ValueError("too large (at most 999,999,999,999)")
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError("at most 4 decimal places")
    return value


@transaction.atomic
def import_kpi_values(*, organization: Organization, data: bytes) -> ImportReport:
    """Create or update KPI values from CSV (columns kpi, location, wave, value): every row is
    checked first and nothing is written unless all are valid."""
    problems = Problems()
    error = problems.add
    text = csv_decode(data, problems)
    if text is None:
        raise ValidationFailed(
            "The file cannot be read (it must be UTF-8 text).",
            problems.listed,
            total=problems.total,
        )
    try:
        rows = records(text, delimiter_of(text))
        header_line, header = next(rows, (1, []))
    except FileRejected as exc:
        raise ValidationFailed(
            "The file cannot be read.",
            [(f"line {e.line}" if e.line else "file", e.reason) for e in exc.errors],
        ) from exc
    if not header:
        raise ValidationFailed("The file is empty.", [("file", "no header row")])
    names = check_header(
        header, known=COLUMNS, required=COLUMNS, problems=problems, line=header_line
    )
    if problems:
        raise ValidationFailed(
            f"{problems.total} problem(s) in the header; nothing was imported.",
            problems.listed,
            total=problems.total,
        )
    index = {name: names.index(name) for name in COLUMNS}
    kpis = {k.code.lower(): k for k in Kpi.objects.for_org(organization)}
    locations = {loc.code.lower(): loc for loc in Location.objects.for_org(organization)}
    waves = {w.name.lower(): w for w in Wave.objects.for_org(organization)}
    seen: dict[tuple[int, int, int], int] = {}
    wanted: list[tuple[Kpi, Location, Wave, Decimal]] = []
    count = 0
    try:
        for line, cells in rows:
            count += 1
            if count > MAX_ROWS:
                error(f"line {line}", f"more than {MAX_ROWS:,} rows; split the file")
                break
            if len(cells) != len(names):
                error(f"line {line}", f"{len(cells)} cells where the header has {len(names)}")
                continue
            cell = {name: cells[i].strip() for name, i in index.items()}
            kpi = kpis.get(cell["kpi"].lower())
            location = locations.get(cell["location"].lower())
            wave = waves.get(cell["wave"].lower())
            bad = False
            for name, found, what in (
                ("kpi", kpi, "KPI"),
                ("location", location, "location"),
                ("wave", wave, "wave"),
            ):
                if found is None:
                    error(
                        f"line {line}, {name}",
                        f"no {what} {cell[name][:60]!r} in {organization.name}",
                    )
                    bad = True
            try:
                value = _number(cell["value"])
            except ValueError as exc:
                error(f"line {line}, value", str(exc))
                bad = True
            if bad:
                continue
            key = (kpi.pk, location.pk, wave.pk)
            if key in seen:
                error(f"line {line}", f"the same KPI, location and wave as line {seen[key]}")
                continue
            seen[key] = line
            wanted.append((kpi, location, wave, value))
    except FileRejected as exc:
        for e in exc.errors:
            error(f"line {e.line}" if e.line else "file", e.reason)
    if not wanted and not problems:
        error("file", "no data rows below the header")
    if problems:
        raise ValidationFailed(problems.summary(), problems.listed, total=problems.total)
    existing = {
        (v.kpi_id, v.location_id, v.wave_id): v
        for v in KpiValue.objects.for_org(organization).filter(kpi__in=[k for k, *_ in wanted])
    }
    report = ImportReport()
    creates, updates = [], []
    now = timezone.now()  # bulk_update does not apply auto_now: the time is set here
    for kpi, location, wave, value in wanted:
        current = existing.get((kpi.pk, location.pk, wave.pk))
        if current is None:
            creates.append(KpiValue(kpi=kpi, location=location, wave=wave, value=value))
        elif current.value != value:
            current.value, current.imported_at = value, now
            updates.append(current)
    KpiValue.objects.bulk_create(creates, batch_size=1000)
    KpiValue.objects.bulk_update(updates, ["value", "imported_at"], batch_size=1000)
    report.created, report.updated = len(creates), len(updates)
    return report


# --- figures --------------------------------------------------------------------------------


@dataclass
class KpiFigure:
    """One KPI in a selection: its value (mean over the selected locations), whether it meets
    the target, and its series over waves (same locations)."""

    kpi: Kpi
    value: Decimal | None
    meets: bool | None
    locations: int
    trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    by_location: list[tuple[str, Decimal, bool | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def num(x):
            return None if x is None else float(x)

        return {
            "code": self.kpi.code,
            "name": self.kpi.name,
            "unit": self.kpi.unit,
            "direction": self.kpi.direction,
            "target": num(self.kpi.target),
            "standards": sorted(s.code for s in self.kpi.standards.all()),
            "value": num(self.value),
            "meets_target": self.meets,
            "locations": self.locations,
            "by_location": [
                {"location": code, "value": num(v), "meets_target": m}
                for code, v, m in self.by_location
            ],
            "trend": [{"wave": w, "value": num(v)} for w, v in self.trend],
        }


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.0001"))


def kpi_figures(
    *,
    organization: Organization,
    wave: Wave | None = None,
    location: Location | None = None,
    only_locations=None,
    standard_ids: list[int] | None = None,
) -> list[KpiFigure]:
    """The KPIs (linked to `standard_ids`, when given) with their figures for a wave (every
    wave when None: the latest wave with values) and location (every visible one when None).
    Three queries whatever the number of KPIs and values."""
    kpis = Kpi.objects.for_org(organization).prefetch_related("standards")
    if standard_ids is not None:
        kpis = kpis.filter(standards__in=standard_ids).distinct()
    kpis = list(kpis)
    if not kpis:
        return []
    values = KpiValue.objects.filter(kpi__in=kpis).select_related("location", "wave")
    if location is not None:
        values = values.filter(location=location)
    elif only_locations is not None:
        values = values.filter(location__in=list(only_locations))
    series: dict[int, dict[int, list[KpiValue]]] = defaultdict(lambda: defaultdict(list))
    waves: dict[int, Wave] = {}
    for v in values:
        series[v.kpi_id][v.wave_id].append(v)
        waves[v.wave_id] = v.wave
    ordered = sorted(waves.values(), key=lambda w: (w.starts_on, w.name))
    figures = []
    for kpi in kpis:
        per_wave = series.get(kpi.pk, {})
        chosen = wave
        if chosen is None:
            chosen = next((w for w in reversed(ordered) if w.pk in per_wave), None)
        current = per_wave.get(chosen.pk, []) if chosen is not None else []
        value = _mean([v.value for v in current])
        figures.append(
            KpiFigure(
                kpi=kpi,
                value=value,
                meets=kpi.meets(value),
                locations=len(current),
                trend=[
                    (w.name, _mean([v.value for v in per_wave.get(w.pk, [])]))
                    for w in ordered
                    if w.pk in per_wave
                ],
                by_location=sorted(
                    ((v.location.code, v.value, kpi.meets(v.value)) for v in current),
                    key=lambda t: t[0],
                ),
            )
        )
    return figures
