"""`manage.py report_worker`: django-tasks-db's `db_worker` that also records a heartbeat.

Takes the same options as `db_worker`. /healthz reports the worker as down when no
heartbeat is younger than WORKER_HEARTBEAT_WINDOW seconds. It also queues the digests
of what users watch every DIGEST_INTERVAL_SECONDS (0: never).
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from health.heartbeat import Heartbeat
from standards.watches import DigestSchedule


class Command(DBWorkerCommand):
    help = "Run the report worker (db_worker) and record its heartbeat for /healthz."

    def handle(self, *args, **options):
        reloader_parent = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if reloader_parent:
            # With --reload this process only watches files; its child runs the tasks
            # and records the heartbeat.
            return super().handle(*args, **options)
        # The heartbeat, and the digests of what users watch queued every
        # DIGEST_INTERVAL_SECONDS (standards.watches), each from a thread of its own.
        with Heartbeat(worker_id=options["worker_id"]), DigestSchedule():
            return super().handle(*args, **options)
