"""Leave room on every page of surveys_response for a new version of its rows.

A re-score rewrites only columns no index covers (scores, score_detail, scored_at), so with
free space on the page PostgreSQL updates the row in place (a HOT update) and writes none of
the table's nine indexes. 50 %: a response row with its score detail is about 1 KB, and a
re-score rewrites every row of a page in one pass, so each page keeps room for a second
version of all its rows. Applies to pages written from now on; `VACUUM FULL surveys_response`
(or pg_repack) applies it to existing rows.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_import_lease"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE surveys_response SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE surveys_response RESET (fillfactor)",
        ),
    ]
