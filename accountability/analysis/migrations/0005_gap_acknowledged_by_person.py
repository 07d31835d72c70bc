import django.db.models.deletion
from django.db import migrations, models

# Acknowledgements made before this field existed are credited to the person their login is linked to now,
# which is the best record there is of who made them.
BACKFILL = """
UPDATE analysis_gap AS gap SET acknowledged_by_person_id = person.id
FROM catalog_person AS person
WHERE person.user_id = gap.acknowledged_by_id AND gap.acknowledged_by_person_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0004_gap_unclaimed_repository"),
        ("catalog", "0004_service_pagerduty_environments"),
    ]

    operations = [
        migrations.AddField(
            model_name="gap",
            name="acknowledged_by_person",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="catalog.person",
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
