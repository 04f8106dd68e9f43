"""The Celery app. Configuration is the CELERY_* settings (rumorcases/settings.py); tasks derive from
`core.tasks_base.ReliableTask`; queues, workers and what makes tasks safe: docs/background.md."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rumorcases.settings")

app = Celery("rumorcases")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
