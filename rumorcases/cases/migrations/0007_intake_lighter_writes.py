import django.db.models.deletion
from django.db import migrations, models

# The trigram indexes over every report's text and title (0006) cost intake more than they gave
# the staff search: a 1,000-report batch spent about 110 ms of its time under the intake lock
# keeping them up to date. Case titles and claims keep theirs (docs/performance.md).
REPORT_TRIGRAM_INDEXES = [
    ("cases_report", "report_content_upper_trgm", "content"),
    ("cases_report", "report_title_upper_trgm", "title"),
]


def drop_report_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, name, _ in REPORT_TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_report_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, column in REPORT_TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((upper({column}::text)) gin_trgm_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_queue_order_and_search_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='reportfingerprint',
            name='report',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='fingerprints', to='cases.report', verbose_name='report'),
        ),
        migrations.RunPython(drop_report_trigram_indexes, create_report_trigram_indexes),
    ]
