"""The report worker's heartbeat: written by `manage.py report_worker`, read by /healthz.

A thread of the worker process writes the heartbeat, so a long PDF render does not make
the worker look dead, and the heartbeat stops when the process does. /healthz counts the
worker as running while the last heartbeat is younger than WORKER_HEARTBEAT_WINDOW.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models.functions import Now

from health.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

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


def _beat_safely(worker_id):
    try:
        record(worker_id)
    except DatabaseError:
        logger.warning("Could not record the worker heartbeat", exc_info=True)


class Heartbeat:
    """Records a heartbeat now and then every `interval` seconds in a thread until
    stopped. Use as a context manager around the worker loop."""

    def __init__(self, worker_id="", interval=None):
        self.worker_id = worker_id
        self.interval = beat_interval() if interval is None else interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def _run(self):
        try:
            while not self._stop.wait(self.interval):
                _beat_safely(self.worker_id)
                # The thread's own connection: closed after each beat, so a database
                # restart costs one missed beat at most.
                connection.close()
        finally:
            connection.close()

    def __enter__(self):
        _beat_safely(self.worker_id)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        return False
