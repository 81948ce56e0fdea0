"""Leave room on every page of surveys_response for a new version of its rows.

A re-score rewrites only columns no index covers (scores, score_detail, scored_at), so with
free space on the page PostgreSQL updates the row in place (a HOT update) and writes none of
the table's nine indexes. 50 %: a response row with its score detail is about 1 KB, and a
re-score rewrites every row of a page in one pass, so each page keeps room for a second
version of all its rows. Applies to pages written from now on; `VACUUM FULL surveys_response`
(or pg_repack) applies it to existing rows.
"""

from django.db import migrations


def _set(apps, schema_editor, value: str) -> None:
    # PostgreSQL only: SQLite (the embedded default) has no fillfactor.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE surveys_response {value}")


def forwards(apps, schema_editor):
    _set(apps, schema_editor, "SET (fillfactor = 50)")


def backwards(apps, schema_editor):
    _set(apps, schema_editor, "RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_import_lease"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
