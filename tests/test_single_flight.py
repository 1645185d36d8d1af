"""Concurrent first requests of one report: one render, never a 500 (standards.reports.files)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from standards.models import ReportFile
from standards.reports import files
from tests.factories import make_clause, make_limit, make_mapping

URL = reverse("standards:report-csv") + "?gaps=0"


@pytest.fixture
def data(db):
    make_mapping(kz=[make_limit().clause], cn=[make_clause()], alignment="kz_only")


def test_a_request_arriving_during_a_render_is_told_it_is_being_prepared(
    client_for, negotiator, data, monkeypatch
):
    """The render of another request holds the key: no second render, a 202 that retries."""
    client = client_for(negotiator)
    assert client.get(URL).status_code == 200
    report_file = ReportFile.objects.get()
    ReportFile.objects.filter(pk=report_file.pk).update(
        status=ReportFile.Status.RUNNING, requested_by=None
    )
    rendered = []
    monkeypatch.setattr(files, "produce", lambda *args: rendered.append(args))
    response = client.get(URL)
    assert response.status_code == 202 and response["Retry-After"] == "3"
    assert "being prepared" in response.text and rendered == []


def test_two_requests_claiming_the_same_key_render_once(client_for, negotiator, data, monkeypatch):
    """The race itself: both saw no record, the second one's claim finds the first one's."""
    client = client_for(negotiator)
    real_filter = ReportFile.objects.filter

    class SeesNothing:
        """The second request looked before the first one's claim was stored."""

        def __init__(self, queryset):
            self.queryset = queryset

        def first(self):
            return None

        def __getattr__(self, name):
            return getattr(self.queryset, name)

    assert client.get(URL).status_code == 200  # the first request's finished render
    ReportFile.objects.update(status=ReportFile.Status.RUNNING, requested_by=None)
    monkeypatch.setattr(
        ReportFile.objects, "filter", lambda *a, **k: SeesNothing(real_filter(*a, **k))
    )
    monkeypatch.setattr(files, "produce", lambda *args: pytest.fail("rendered twice"))
    response = client.get(URL)
    assert response.status_code == 202
    assert ReportFile.objects.count() == 1


def test_an_abandoned_render_is_tried_again(client_for, negotiator, data):
    client = client_for(negotiator)
    assert client.get(URL).status_code == 200
    ReportFile.objects.update(
        status=ReportFile.Status.RUNNING, created_at="2000-01-01T00:00:00Z", content=None
    )
    response = client.get(URL)
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    assert ReportFile.objects.get().status == ReportFile.Status.DONE


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads against one test database need PostgreSQL (SQLite's test database is "
    "in memory); the two tests above cover the claim on both databases",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_eight_simultaneous_first_requests_never_answer_500(negotiator, fmt):
    make_mapping(kz=[make_limit().clause], cn=[make_clause()], alignment="kz_only")
    url = reverse(f"standards:report-{fmt}") + "?gaps=0"
    start, statuses = threading.Barrier(8), []

    def fetch():
        client = Client()
        client.force_login(negotiator)
        try:
            start.wait(10)
            statuses.append(client.get(url).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == 8 and set(statuses) <= {200, 202, 302}, statuses
    assert 200 in statuses
    assert ReportFile.objects.filter(fmt=fmt).count() == 1


def test_a_report_job_and_its_file_belong_to_their_requester(
    client_for, negotiator, data, settings, django_user_model
):
    from standards.roles import NEGOTIATOR
    from standards.services import assign_role

    settings.REPORT_BACKGROUND_THRESHOLD = 0  # every PDF goes to the worker
    response = client_for(negotiator).get(reverse("standards:report-pdf") + "?gaps=0")
    job = ReportFile.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    other = django_user_model.objects.create_user(username="other-negotiator")
    assign_role(other, NEGOTIATOR)
    intruder = Client()
    intruder.force_login(other)
    for url in (job.get_absolute_url(), reverse("standards:report-download", args=[job.pk])):
        assert intruder.get(url).status_code == 403, url
    # The other negotiator asking for the same report is told it is being prepared.
    assert intruder.get(reverse("standards:report-pdf") + "?gaps=0").status_code == 202


def test_sqlite_transactions_take_the_write_lock_when_they_begin():
    """Two saves at the same instant queue instead of failing with "database is locked"."""
    from portal.settings import database_from_env

    config = database_from_env()
    if config["ENGINE"].endswith("sqlite3"):
        assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert config["OPTIONS"]["timeout"] >= 10


def test_gunicorn_workers_have_one_thread():
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[1] / "portal/gunicorn.conf.py"))
    assert config["worker_class"] == "sync" and config["threads"] == 1
