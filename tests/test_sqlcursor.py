"""cxaudit.sqlcursor: a hot hand-written query is prepared by the connection after a few runs,
and at the start of a request it stands in for the health check of a kept connection."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from cxaudit import sqlcursor

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

SQL = "SELECT %s::int + 1, pg_backend_pid()"


def prepared_here(sql: str) -> int:
    """How many statements like `sql` this connection holds prepared."""
    like = "%" + sql.split("%s")[1] + "%"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [like])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_a_query_run_again_and_again_is_prepared_after_five_runs():
    assert connection.settings_dict["OPTIONS"]["prepare_threshold"] == 5
    sql = "SELECT %s::int + 10"
    for n in range(5):
        assert sqlcursor.fetchone(sql, [n])[0] == n + 10
    assert prepared_here(sql) == 0
    assert sqlcursor.fetchone(sql, [32])[0] == 42
    assert prepared_here(sql) == 1


@pytest.mark.django_db
def test_with_prepared_statements_off_nothing_is_prepared(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    sql = "SELECT %s::int + 20"
    for n in range(8):
        assert sqlcursor.fetchone(sql, [n])[0] == n + 20
    assert prepared_here(sql) == 0


def kill(pid: int) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def kept_connection(monkeypatch):
    """A connection kept from an earlier request; Django's request start marks it for a check."""
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    yield
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_died_is_replaced_and_the_query_answers(kept_connection):
    _, pid = sqlcursor.fetchone(SQL, [1])
    kill(pid)
    connection.health_check_done = False  # a new request
    value, new_pid = sqlcursor.fetchone(SQL, [2])
    assert value == 3 and new_pid != pid
    # The query was the check: none is left to do on this request.
    assert connection.health_check_done


@pytest.mark.django_db(transaction=True)
def test_a_live_kept_connection_costs_no_check_of_its_own(
    kept_connection, django_assert_num_queries
):
    sqlcursor.fetchone(SQL, [1])
    connection.health_check_done = False  # a new request
    with django_assert_num_queries(1):
        sqlcursor.fetchone(SQL, [1])
    assert connection.health_check_done


@pytest.mark.django_db(transaction=True)
def test_a_connection_dying_within_a_request_is_an_error_as_usual(kept_connection):
    _, pid = sqlcursor.fetchone(SQL, [1])
    kill(pid)  # already checked on this request: no second chance
    with pytest.raises(OperationalError):
        sqlcursor.fetchone(SQL, [2])
