"""Which wave an insights page shows when none is asked for: one rule for the gap dashboard,
the standard pages, the heatmap, the league table and the report cards (docs/statistics.md,
§15 "What the pages show").

    the latest closed wave with enough responses,
    else the latest wave with enough responses,
    else the latest wave with any response,
    else the latest wave.

"Enough" is the small-sample threshold (CXAUDIT_SMALL_SAMPLE_N, 30) of counted responses
(submitted; a shop once approved) of every source in the wave, within the locations the user
may see. "Latest" orders by start date, then name. A page says which wave it shows and why,
with a link to change it; a wave without responses says "no data yet", and one with fewer
than enough says so once instead of flagging every figure as a small sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count

from cxaudit.accounts.models import Location, Organization
from cxaudit.journeys.models import Wave
from surveys.models import Response

LATEST_CLOSED = "the latest closed wave"
LATEST_ENOUGH = "the latest wave with enough responses"
LATEST_ANY = "the latest wave with responses (none has enough yet)"
LATEST = "the latest wave (none has responses yet)"


def minimum_responses() -> int:
    return settings.CXAUDIT_SMALL_SAMPLE_N


def _latest(waves: Iterable[Wave]) -> Wave | None:
    return max(waves, key=lambda w: (w.starts_on, w.name), default=None)


def pick_default(
    waves: Sequence[Wave], counts: dict[int, int], *, minimum: int
) -> tuple[Wave | None, str]:
    """The default wave and the reason, by the rule above (pure: no query)."""
    enough = [w for w in waves if counts.get(w.pk, 0) >= minimum]
    if wave := _latest(w for w in enough if w.status == Wave.Status.CLOSED):
        return wave, LATEST_CLOSED
    if wave := _latest(enough):
        return wave, LATEST_ENOUGH
    if wave := _latest(w for w in waves if counts.get(w.pk, 0) > 0):
        return wave, LATEST_ANY
    return _latest(waves), LATEST


def response_counts(
    organization: Organization, *, only_locations: Sequence[Location] | None = None
) -> dict[int, int]:
    """Submitted responses per wave id (every source), within `only_locations` when given:
    one query."""
    qs = Response.objects.for_org(organization).counted().filter(wave__isnull=False)
    if only_locations is not None:
        qs = qs.filter(location__in=[loc.pk for loc in only_locations])
    rows = qs.order_by().values("wave_id").annotate(n=Count("pk"))
    return {r["wave_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class WaveChoice:
    """The wave a page shows (None: every wave), whether the user chose it, the default and
    why the rule picks it, and how much data the shown wave has."""

    wave: Wave | None
    chosen: bool  # the user asked for this wave (or for every wave)
    default: Wave | None  # what the rule picks
    reason: str  # why the rule picks `default` (one of the constants above)
    responses: int  # submitted responses of the wave in the user's scope (every wave: total)
    minimum: int

    @property
    def no_data(self) -> bool:
        """Nothing to show yet: the page says "no data yet" instead of empty figures."""
        return self.wave is not None and self.responses == 0

    @property
    def little_data(self) -> bool:
        """Some responses, fewer than enough: said once instead of on every figure."""
        return self.wave is not None and 0 < self.responses < self.minimum


def choose_wave(
    organization: Organization,
    *,
    waves: Sequence[Wave],
    asked: Wave | None,
    all_waves: bool = False,
    only_locations: Sequence[Location] | None = None,
) -> WaveChoice:
    """The wave to show: `asked` when the user chose one (or every wave when `all_waves`),
    else the default by the rule. One query (the response counts)."""
    counts = response_counts(organization, only_locations=only_locations)
    minimum = minimum_responses()
    default, reason = pick_default(waves, counts, minimum=minimum)
    if all_waves:
        return WaveChoice(None, True, default, reason, sum(counts.values()), minimum)
    wave = asked if asked is not None else default
    responses = counts.get(wave.pk, 0) if wave is not None else 0
    return WaveChoice(wave, asked is not None, default, reason, responses, minimum)
