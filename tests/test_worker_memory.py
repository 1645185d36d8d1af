"""With DEBUG on (`make run`), Django logs every query of a connection and forgets them
when a request starts. The report worker has no requests: its tasks and its periodic
threads forget theirs, or a long-running worker would keep up to 9,000 queries for
each of its connections."""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection
from django_tasks.signals import task_started

from health.periodic import Periodic
from standards.models import ClauseMapping

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_starts_with_no_logged_queries(settings):
    settings.DEBUG = True
    ClauseMapping.objects.count()
    assert connection.queries_log
    started = SimpleNamespace(
        id="t-1", task=SimpleNamespace(module_path="a.task"), status="RUNNING"
    )
    task_started.send(sender=None, task_result=started)
    assert not connection.queries_log


def test_each_periodic_run_starts_with_no_logged_queries(settings):
    settings.DEBUG = True
    seen, done = [], threading.Event()

    class Counting(Periodic):
        def run(self):
            seen.append(len(connection.queries_log))
            ClauseMapping.objects.count()
            if len(seen) == 3:
                done.set()

    with Counting(interval=0.01, first=False):
        assert done.wait(10)
    assert seen[:3] == [0, 0, 0]
