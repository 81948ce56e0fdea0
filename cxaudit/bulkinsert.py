"""Inserting many rows of one model on PostgreSQL as a few arrays: one
`INSERT ... SELECT ... FROM unnest(%s::type[], ...)` whose arrays the server binds.

bulk_create prepares every field of every row in Python and, with Django's client-side
binding, quotes every value into the SQL text: for 10,000 shops and their 20,000 audit rows
that is most of the time spent. Here only the columns that differ between rows travel, one
array each, sent by the protocol as they are; every other column is one value, prepared by
Django once from a prototype instance (its defaults, auto_now fields and the given constants),
so a field added to the model later keeps its default here as in bulk_create.

PostgreSQL only; callers keep bulk_create as the portable path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

from .sqlcursor import server_cursor


def insert_arrays(
    model: type[Model],
    *,
    columns: dict[str, Sequence[Any]],
    constant: dict[str, Any] | None = None,
    returning: Sequence[str] = (),
    skip_conflicts_on: str | None = None,
) -> list[tuple]:
    """Insert one row per position of the `columns` lists (attname -> plain Python values:
    ints, strings, Decimals, aware datetimes, None), every other concrete field taken from
    `constant` or its default. With `skip_conflicts_on` (a unique column's attname), a row
    whose value exists already is skipped (ON CONFLICT DO NOTHING). Returns the `returning`
    attnames of the rows inserted (rows are inserted in the arrays' order; match the returned
    rows to yours by a unique column rather than by position)."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        raise ValueError("Every column needs one value per row.")
    if not lengths.pop():
        return []
    qn = connection.ops.quote_name
    proto = model(**(constant or {}))
    names, exprs, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.attname not in columns:
            continue
        names.append(qn(f.column))
        if f.attname in columns:
            exprs.append(f"t.{qn(f.column)}")
        else:
            exprs.append(f"%s::{f.db_type(connection)}")
            params.append(f.get_db_prep_save(f.pre_save(proto, add=True), connection))
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    arrays = [f"%s::{by_attname[name].db_type(connection)}[]" for name in columns]
    aliases = [qn(by_attname[name].column) for name in columns]
    params.extend(list(values) for values in columns.values())
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608 (our names)
        f"SELECT {', '.join(exprs)} FROM unnest({', '.join(arrays)}) "
        f"WITH ORDINALITY AS t({', '.join(aliases)}, _n) "
    )
    if skip_conflicts_on:
        sql += f"ORDER BY t._n ON CONFLICT ({qn(by_attname[skip_conflicts_on].column)}) DO NOTHING"
    else:
        sql += "ORDER BY t._n"
    if returning:
        sql += " RETURNING " + ", ".join(qn(by_attname[name].column) for name in returning)
    with server_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []
