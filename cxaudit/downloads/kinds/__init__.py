"""What can be exported: each kind names who may export it, the filters it takes and how to
build its table (a header and a stream of rows read with a bounded number of queries, whatever
the number of rows).

A table's `rows()` yields plain Python rows for the writers of cxaudit/exports.py, which
neutralise every formula. Rows are read through server-side cursors (`QuerySet.iterator`, or
`connection.chunked_cursor` for the responses pivot), so memory stays bounded and the number
of queries does not grow with the rows. `responses` holds the responses export, `tables` the
others, `base` what they share.
"""

from __future__ import annotations

from cxaudit.accounts.capabilities import Cap

from .base import Kind, Request, Row, Table
from .responses import (
    PIVOT_SQL,
    ColumnMap,
    build_responses,
    column_map,
    pivot_rows_portable,
    pivot_rows_postgresql,
    response_rows,
)
from .tables import (
    build_actions,
    build_answers,
    build_campaign,
    build_contacts,
    build_gaps,
    build_payouts,
    build_shops,
)

__all__ = [
    "KINDS",
    "PIVOT_SQL",
    "ColumnMap",
    "Kind",
    "Request",
    "Row",
    "Table",
    "column_map",
    "kinds_for",
    "pivot_rows_portable",
    "pivot_rows_postgresql",
    "response_rows",
]


_EXPORT = (Cap.EXPORT_DATA,)
KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "responses",
            "Responses (one row per response)",
            _EXPORT,
            build_responses,
            filters=("survey", "wave", "location"),
            required=("survey",),
            help="One column per question code, with the score and section scores.",
        ),
        Kind(
            "answers",
            "Answers (one row per answer)",
            _EXPORT,
            build_answers,
            filters=("survey", "wave", "location"),
        ),
        Kind(
            "shops",
            "Mystery shops with scores and review state",
            _EXPORT,
            build_shops,
            filters=("wave", "location"),
        ),
        Kind("gaps", "Gap report", _EXPORT, build_gaps, filters=("wave", "location")),
        Kind("actions", "Action plan", _EXPORT, build_actions, filters=("wave", "location")),
        Kind(
            "payouts",
            "Payouts (approved shops, paid or owed)",
            (*_EXPORT, Cap.MANAGE_PAYOUTS),
            build_payouts,
            filters=("wave", "location"),
        ),
        Kind(
            "contacts",
            "Contacts",
            (*_EXPORT, Cap.MANAGE_CAMPAIGNS),
            build_contacts,
            filters=("location",),
        ),
        Kind(
            "campaign",
            "Campaign results (one row per invitation)",
            (*_EXPORT, Cap.VIEW_CAMPAIGNS),
            build_campaign,
            filters=("campaign", "location"),
            required=("campaign",),
        ),
    )
}


def kinds_for(capabilities) -> list[Kind]:
    """The kinds a role may export, in the order of KINDS."""
    return [k for k in KINDS.values() if k.allowed(capabilities)]
