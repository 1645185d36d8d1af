"""The report worker's heartbeat: written by `manage.py report_worker`, read by /healthz.

A thread of the worker process writes the heartbeat, so a long PDF render does not make
the worker look dead, and the heartbeat stops when the process does. /healthz counts the
worker as running while the last heartbeat is younger than WORKER_HEARTBEAT_WINDOW.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models.functions import Now

from health.models import WorkerHeartbeat
from health.periodic import Periodic

ROW = 1  # every worker writes the same row: /healthz asks whether any worker runs


def beat_interval():
    """Seconds between heartbeats: a quarter of the window, between 1 and 15 s."""
    return min(15.0, max(1.0, settings.WORKER_HEARTBEAT_WINDOW / 4))


def record(worker_id=""):
    """Record that a worker runs now (by the database's clock)."""
    values = {"beat_at": Now(), "worker_id": worker_id[:64]}
    if not WorkerHeartbeat.objects.filter(pk=ROW).update(**values):
        WorkerHeartbeat.objects.get_or_create(pk=ROW, defaults=values)


def worker_alive():
    """Whether a worker recorded a heartbeat within the window. Queries the database."""
    window = timedelta(seconds=settings.WORKER_HEARTBEAT_WINDOW)
    return WorkerHeartbeat.objects.filter(beat_at__gte=Now() - window).exists()


class Heartbeat(Periodic):
    """Records a heartbeat now and then every `interval` seconds in a thread until
    stopped. Use as a context manager around the worker loop."""

    name = "worker-heartbeat"
    failure = "Could not record the worker heartbeat"

    def __init__(self, worker_id="", interval=None):
        super().__init__(beat_interval() if interval is None else interval)
        self.worker_id = worker_id

    def run(self):
        record(self.worker_id)
