"""Production serving: /healthz, the report worker's heartbeat, static files by WhiteNoise."""

import gzip
import socket
import sys
import threading
import time
from datetime import timedelta
from unittest import mock

import django
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.template import engines
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import portal.settings as project_settings
from health import heartbeat
from health.models import WorkerHeartbeat
from standards.reports.pdf import StaticOnlyFetcher
from standards.reports.render import BASE_URL, render_pdf

ROOT = project_settings.BASE_DIR


# --- /healthz ---------------------------------------------------------------------------


def test_healthz_is_ok_with_a_fresh_heartbeat(client, db):
    heartbeat.record("w1")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "worker": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"


def test_healthz_needs_no_login_and_sets_no_cookie(client, db):
    heartbeat.record()
    response = client.get(reverse("healthz"))
    assert response.status_code == 200  # not a redirect to the login page
    assert not response.cookies


def test_healthz_without_any_heartbeat_names_the_worker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "ok", "worker": "fail"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_with_a_stale_heartbeat_names_the_worker(client, db, settings):
    settings.WORKER_HEARTBEAT_WINDOW = 30
    heartbeat.record()
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=31))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "fail"

    settings.WORKER_HEARTBEAT_WINDOW = 120  # the window comes from the settings
    assert client.get("/healthz").status_code == 200


def test_healthz_names_the_database_when_it_does_not_answer(client, db):
    broken = mock.Mock()
    broken.cursor.side_effect = OperationalError("could not connect to db.internal:5432")
    with mock.patch("health.views.connection", broken):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "database": "fail", "worker": "unknown"}
    assert b"db.internal" not in response.content


def test_healthz_reveals_nothing_else(client, db):
    heartbeat.record("worker-on-host-xyz")
    response = client.get("/healthz")
    body = response.content.decode()
    assert set(response.json()) == {"status", "database", "worker"}
    assert set(response.json().values()) <= {"ok", "fail", "unknown"}
    for secret in ("worker-on-host-xyz", socket.gethostname(), django.get_version()):
        assert secret not in body
    assert sys.version.split()[0] not in body
    assert not any(ch.isdigit() for ch in body)  # no counts, times or versions
    for header in ("Server", "X-Powered-By", "Set-Cookie"):
        assert header not in response.headers


def test_healthz_answers_get_and_head_only(client, db):
    heartbeat.record()
    head = client.head("/healthz")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(client.get("/healthz").content))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/healthz").status_code == 405, method


def test_healthz_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    heartbeat.record()
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


# --- The heartbeat ----------------------------------------------------------------------


def test_record_keeps_one_row_and_refreshes_it(db):
    heartbeat.record("a")
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(hours=1))
    assert not heartbeat.worker_alive()
    heartbeat.record("b")
    assert WorkerHeartbeat.objects.count() == 1
    assert WorkerHeartbeat.objects.get().worker_id == "b"
    assert heartbeat.worker_alive()


def test_beat_interval_follows_the_window(settings):
    settings.WORKER_HEARTBEAT_WINDOW = 60
    assert heartbeat.beat_interval() == 15
    settings.WORKER_HEARTBEAT_WINDOW = 8
    assert heartbeat.beat_interval() == 2
    settings.WORKER_HEARTBEAT_WINDOW = 2
    assert heartbeat.beat_interval() == 1


def test_heartbeat_thread_beats_until_stopped_and_survives_database_errors():
    calls = []

    def record(worker_id):
        calls.append(worker_id)
        if len(calls) == 2:
            raise OperationalError("database restarting")

    with mock.patch("health.heartbeat.record", record), heartbeat.Heartbeat("w", 0.02) as beat:
        assert calls == ["w"]  # the first beat is recorded at once
        deadline = time.monotonic() + 5
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) >= 4  # went on after the error
    assert not beat._thread.is_alive()
    stopped_at = len(calls)
    time.sleep(0.1)
    assert len(calls) == stopped_at


# Transactional: the worker closes its database connection, which a test wrapped in a
# transaction would not survive on PostgreSQL.
def test_report_worker_command_records_a_heartbeat_and_stops_its_thread(transactional_db, settings):
    settings.WORKER_HEARTBEAT_WINDOW = 3600  # no second beat during the test
    call_command(
        "report_worker", "--batch", "--no-startup-delay", "--worker-id", "w-test", verbosity=0
    )
    assert WorkerHeartbeat.objects.get().worker_id == "w-test"
    assert heartbeat.worker_alive()
    assert not any(t.name == "worker-heartbeat" for t in threading.enumerate())


# --- Static files -----------------------------------------------------------------------

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_settings_serve_static_files_with_whitenoise():
    # The tests run with DEBUG off, so the settings module chose the production storage
    # (tests/conftest.py replaces it for the other tests).
    assert not project_settings.DEBUG
    assert project_settings.STORAGES["staticfiles"]["BACKEND"] == MANIFEST_STORAGE
    middleware = project_settings.MIDDLEWARE
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]


def test_static_files_are_served_by_whitenoise_in_tests(client, db):
    # Django's test client serves no static files itself: this is WhiteNoise.
    response = client.get("/static/portal/portal.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (ROOT / "static/portal/portal.css").read_bytes()
    assert response["Content-Type"].startswith("text/css")
    response.close()


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """`collectstatic` with the production storage, once for this module."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=project_settings.STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def production_static(collected, settings):
    settings.STATIC_ROOT = collected
    settings.STORAGES = project_settings.STORAGES
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return collected


def test_hashed_static_file_is_compressed_and_cached_for_ever(client, db, production_static):
    url = static("portal/portal.css")
    assert url != "/static/portal/portal.css"  # a hashed name from the manifest
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    body = gzip.decompress(b"".join(response.streaming_content))
    assert body == (ROOT / "static/portal/portal.css").read_bytes()
    response.close()

    plain = client.get("/static/portal/portal.css")
    assert plain.status_code == 200
    assert "immutable" not in plain["Cache-Control"]  # an unhashed name may change
    plain.close()


def test_pages_link_hashed_static_files(client, production_static):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert static("portal/portal.css").encode() in response.content


def test_pdf_fetcher_finds_hashed_static_files(production_static):
    html = engines["django"].from_string(
        "{% load static %}<!doctype html><html><head>"
        '<link rel="stylesheet" href="{% static \'portal/report.css\' %}"></head>'
        "<body><p>Report</p></body></html>"
    )
    rendered = html.render({})
    url = BASE_URL + static("portal/report.css").lstrip("/")
    assert "report.css" not in url.rsplit("/", 1)[1]  # hashed
    source = (ROOT / "static/portal/report.css").read_bytes()
    assert StaticOnlyFetcher().fetch(url).read() == source

    # The render process is handed this process's manifest.
    refused = []
    assert render_pdf(rendered, b"0" * 16, refused=refused).startswith(b"%PDF")
    assert refused == []


def test_gunicorn_config_reads_the_environment(monkeypatch):
    import runpy

    from django.conf import settings

    path = str(settings.BASE_DIR / "portal" / "gunicorn.conf.py")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_MAX_REQUESTS", "500")
    monkeypatch.setenv("PORT", "8123")
    config = runpy.run_path(path)
    assert config["workers"] == 3 and config["bind"] == ["127.0.0.1:8123"]
    assert config["max_requests"] == 500 and config["max_requests_jitter"] == 50
    monkeypatch.setenv("WEB_MAX_REQUESTS", "many")
    with pytest.raises(SystemExit, match="WEB_MAX_REQUESTS must be a positive integer"):
        runpy.run_path(path)
