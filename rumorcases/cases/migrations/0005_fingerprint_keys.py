"""Fingerprint rows become (key, report) with the band folded into the key, that pair being the
primary key; the rows are rebuilt for every stored report."""

import django.db.models.deletion
from django.db import migrations, models

from rumorcases.cases.fingerprints import band_keys


def fingerprint_every_report(apps, schema_editor):
    Report = apps.get_model("cases", "Report")
    ReportFingerprint = apps.get_model("cases", "ReportFingerprint")
    reports = Report.objects.exclude(normalised="").only("pk", "normalised").order_by("pk")
    batch = []
    for report in reports.iterator(chunk_size=1000):
        batch.extend(ReportFingerprint(key=key, report_id=report.pk) for key in band_keys(report.normalised))
        if len(batch) >= 64000:
            ReportFingerprint.objects.bulk_create(batch)
            batch = []
    ReportFingerprint.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_report_fingerprints"),
    ]

    operations = [
        migrations.DeleteModel(name="ReportFingerprint"),
        migrations.CreateModel(
            name="ReportFingerprint",
            fields=[
                ("pk", models.CompositePrimaryKey("key", "report", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("key", models.BigIntegerField(verbose_name="key")),
                ("report", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="fingerprints", to="cases.report",
                                             verbose_name="report")),
            ],
            options={
                "verbose_name": "report fingerprint",
                "verbose_name_plural": "report fingerprints",
            },
        ),
        migrations.RunPython(fingerprint_every_report, migrations.RunPython.noop, elidable=True),
    ]
