"""SERVQUAL gap 5 pairs stored on the answers (Answer.pair_diff_100), filled here for the answers
already stored; the partial index that paired them at report time goes."""

from django.db import migrations, models

# What surveys.services.mark_pairs sets on new answers: per customer response and standard with
# both aspects, on its first expectation answer with a 0-100 value, the mean perception minus
# the mean expectation. UPDATE ... FROM: PostgreSQL and SQLite >= 3.33 alike.
BACKFILL = """
UPDATE surveys_answer SET pair_diff_100 = per.p - per.e
FROM (
    SELECT response_id, standard_id,
           AVG(CASE WHEN aspect <> 'expectation' THEN value_100 END) AS p,
           AVG(CASE WHEN aspect = 'expectation' THEN value_100 END) AS e,
           MIN(CASE WHEN aspect = 'expectation' AND value_100 IS NOT NULL THEN id END)
             AS carrier
    FROM surveys_answer
    WHERE source = 'customer' AND standard_id IS NOT NULL
    GROUP BY response_id, standard_id
) AS per
WHERE surveys_answer.id = per.carrier AND per.p IS NOT NULL AND per.e IS NOT NULL
"""


def backfill(apps, schema_editor):
    schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0007_response_fillfactor'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='answer',
            name='answer_pair_idx',
        ),
        migrations.AddField(
            model_name='answer',
            name='pair_diff_100',
            field=models.FloatField(blank=True, help_text='Perception − expectation of the standard (0–100).', null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
