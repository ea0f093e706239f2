"""The Celery application: configured from Django settings (CELERY_* names)."""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("resolute")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **_: object) -> None:
    # Zero-setup mode: kombu's filesystem transport needs its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "outbox-sweep": {
            "task": "advocacy.tasks.outbound_email_sweep_task",
            "schedule": schedule(settings.OUTBOX_SWEEP_INTERVAL_SECONDS),
        },
        "webhook-sweep": {
            "task": "advocacy.tasks.webhook_delivery_sweep_task",
            "schedule": schedule(settings.OUTBOX_SWEEP_INTERVAL_SECONDS),
        },
        **getattr(settings, "CELERY_EXTRA_BEAT_SCHEDULE", {}),
    }
