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


def gap_label(name: str) -> str:
    return GAP_LABELS.get(name, name.replace("_", " "))


def method_label(name: str | None) -> str:
    return METHOD_LABELS.get(name or "", (name or "").replace("_", " "))
