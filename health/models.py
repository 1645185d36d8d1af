from django.db import models


class WorkerHeartbeat(models.Model):
    """When a report worker last showed that it runs: one row, written every few seconds
    by `manage.py report_worker` and read by /healthz. Times come from the database's
    clock, so app servers and workers on different hosts agree on its age. Shown neither
    in the portal nor in the admin, hence no translated names."""

    beat_at = models.DateTimeField("last heartbeat")
    worker_id = models.CharField("worker", max_length=64, blank=True)

    class Meta:
        verbose_name = "worker heartbeat"
        verbose_name_plural = "worker heartbeats"

    def __str__(self):
        return f"{self.worker_id} {self.beat_at:%Y-%m-%d %H:%M:%S}"
