"""The Celery application: configured from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.schedules import schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("resolute")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "outbox-sweep": {
            "task": "advocacy.tasks.outbound_email_sweep_task",
            "schedule": schedule(settings.OUTBOX_SWEEP_INTERVAL_SECONDS),
        },
        **getattr(settings, "CELERY_EXTRA_BEAT_SCHEDULE", {}),
    }
