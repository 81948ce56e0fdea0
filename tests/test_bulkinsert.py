"""cxaudit.bulkinsert: rows written as server-bound arrays on PostgreSQL, every other field
from the constants or the model's defaults, conflicts on a unique column skipped."""

from __future__ import annotations

import pytest
from django.db import connection

from cxaudit.accounts.models import Location
from cxaudit.bulkinsert import insert_arrays

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def test_rows_get_the_arrays_the_constants_and_the_defaults(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = insert_arrays(
            Location,
            constant={"organization": org, "region": "North"},
            columns={"code": ["A1", "B2", "C3"], "name": ["Ann's <b>", 'say "hi"', "Ç\\a,{}"]},
            returning=("id", "code"),
        )
    assert [code for _, code in rows] == ["A1", "B2", "C3"]
    stored = {loc.pk: loc for loc in Location.objects.filter(pk__in=[pk for pk, _ in rows])}
    assert [stored[pk].name for pk, _ in rows] == ["Ann's <b>", 'say "hi"', "Ç\\a,{}"]
    for loc in stored.values():
        assert loc.organization_id == org.pk and loc.region == "North"
        assert loc.kind == Location.Kind.BRANCH and loc.is_active and loc.address == ""


def test_nothing_to_insert_makes_no_query_and_ragged_columns_are_refused(
    org, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert insert_arrays(Location, constant={"organization": org}, columns={"code": []}) == []
    with pytest.raises(ValueError, match="one value per row"):
        insert_arrays(Location, columns={"code": ["A"], "name": []})
