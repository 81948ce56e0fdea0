"""One label for each gap, perspective and statistical method: every page, export and help text
reads them from here (docs/statistics.md explains the methods at length)."""

from __future__ import annotations

GAP_LABELS = {
    "self_vs_perceived": "Self vs perceived",
    "perceived_vs_expected": "Perceived vs expected (gap 5)",
    "knowledge": "Knowledge (gap 1)",
    "delivery": "Delivery (gap 3)",
    "communication": "Communication (gap 4)",
    "self_vs_perceived_share": "Self vs perceived, share agreeing",
    "observed_vs_perceived_share": "Observed vs perceived, share agreeing",
}

GAP_HELP = {
    "self_vs_perceived": "Managers' self-assessment minus customers' perception (0-100 points).",
    "perceived_vs_expected": "Customers' perception minus their expectation (SERVQUAL gap 5).",
    "knowledge": "What managers think customers expect minus what customers expect (gap 1).",
    "delivery": "Share of mystery-shop visits meeting the standard minus its target (gap 3).",
    "communication": "Share of visits keeping what is promised to customers minus 100% (gap 4).",
    "self_vs_perceived_share": (
        "Share of managers agreeing minus share of customers agreeing, in percentage points "
        "(e.g. 80% of managers vs 45% of customers)."
    ),
    "observed_vs_perceived_share": (
        "Share of mystery-shop visits complying minus share of customers agreeing, in "
        "percentage points."
    ),
}

PERSPECTIVE_LABELS = {
    "self": "Self",
    "observed": "Observed",
    "perceived": "Perceived",
    "expected": "Expected",
    "management_expected": "Management expects",
}

METHOD_LABELS = {
    "welch_t": "Welch's t-test",
    "paired_t": "paired t-test",
    "one_sample_t": "one-sample t-test",
    "exact_binomial": "exact binomial test",
    "two_proportion_z": "two-proportion z-test",
}

METHOD_HELP = {
    "welch_t": "Compares two independent means without assuming equal variances.",
    "paired_t": "Compares each customer's perception with their own expectation.",
    "one_sample_t": "Compares a mean with a fixed value.",
    "exact_binomial": "Compares a share with a target share, exactly.",
    "two_proportion_z": "Compares two shares (pooled z test, Newcombe interval).",
}


# The flags a gap carries, as every page writes them (templates/insights/_gap_badges.html).
FLAG_LABELS = {
    "significant": "significant",
    "not_significant": "not significant",
    "not_tested": "not tested",
    "small_sample": "small sample",
}

FLAG_HELP = {
    "significant": "The 95 % test says the gap differs from 0.",
    "not_significant": "The gap could be 0: the 95 % test does not tell it apart.",
    "not_tested": "Not enough answers on one side to test the gap.",
    "small_sample": "Fewer answers than the small-sample threshold: read with care.",
}


def gap_flags(gap) -> list[str]:
    """The flags of a gap (engine.Gap), in the order pages show them."""
    if gap is None:
        return []
    if gap.significant is None:
        # A standard that promises nothing has no communication gap to test: no flag.
        flags = [] if gap.reason == "no_promise" else ["not_tested"]
    else:
        flags = ["significant" if gap.significant else "not_significant"]
    if gap.small_sample and gap.significant is not None:
        flags.append("small_sample")
    return flags


def perspective_label(name: str) -> str:
    return PERSPECTIVE_LABELS.get(name, name.replace("_", " ").capitalize())


def gap_label(name: str) -> str:
    return GAP_LABELS.get(name, name.replace("_", " "))


def method_label(name: str | None) -> str:
    return METHOD_LABELS.get(name or "", (name or "").replace("_", " "))
