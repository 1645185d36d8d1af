"""`manage.py report_worker`: django-tasks-db's `db_worker` that also records a heartbeat.

Takes the same options as `db_worker`. /healthz reports the worker as down when no
heartbeat is younger than WORKER_HEARTBEAT_WINDOW seconds. It also queues the digests
of what users watch every DIGEST_INTERVAL_SECONDS (0: never), and keeps the report cache
(pre-renders after edits, retention: standards.reports.upkeep).
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from health.heartbeat import Heartbeat
from standards.reports.upkeep import Upkeep
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
        # The heartbeat, the digests of what users watch queued every
        # DIGEST_INTERVAL_SECONDS (standards.watches), and the report cache's upkeep
        # (pre-renders and retention: standards.reports.upkeep; not in --batch, which
        # only works through the queue as it is), each from a thread of its own.
        upkeep = Upkeep(interval=0) if options["batch"] else Upkeep()
        with Heartbeat(worker_id=options["worker_id"]), DigestSchedule(), upkeep:
            return super().handle(*args, **options)
