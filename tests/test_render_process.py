"""PDFs are drawn in a render process of their own: one at a time, memory and time
bounded, a crash contained (standards/reports/render_process.py)."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from standards.models import ReportFile
from standards.reports import render_process
from standards.reports.render import RenderFailed, render_pdf
from tests import render_children
from tests.factories import make_clause, make_mapping

HTML = "<!doctype html><html><body><p>Report қ 报告</p></body></html>"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_renderer():
    """Each test starts without a render child, and leaves none behind."""
    render_process._renderer.close()
    yield render_process._renderer
    render_process._renderer.close()


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_pdfs_are_drawn_in_a_child_process(fresh_renderer):
    assert render_process.child_pid() is None
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")
    assert render_process.child_pid() not in (None, os.getpid())


def test_the_requesting_process_never_loads_weasyprint():
    code = (
        "import sys, django; django.setup()\n"
        "from standards.reports.render import render_pdf\n"
        f"assert render_pdf({HTML!r}, b'0' * 32).startswith(b'%PDF')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'pydyf')))\n"
    )
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_parallel_requests_are_rendered_one_after_another_by_one_child(fresh_renderer):
    """Ten threads at the same moment (runserver's threads): one child draws them all, and a
    child has a single thread, so no two renders ever overlap in one process."""
    start = threading.Barrier(10)
    results, pids = [], set()

    def go(n):
        start.wait(10)
        results.append(render_pdf(HTML.replace("Report", f"Report {n}"), b"%032d" % n))
        pids.add(render_process.child_pid())

    threads = [threading.Thread(target=go, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 10 and all(content.startswith(b"%PDF") for content in results)
    assert len(pids) == 1 and os.getpid() not in pids


def test_the_child_is_replaced_after_a_number_of_renders(fresh_renderer, settings):
    settings.REPORT_RENDERS_PER_PROCESS = 2
    render_pdf(HTML, b"0" * 32)
    first = render_process.child_pid()
    render_pdf(HTML, b"0" * 32)
    assert render_process.child_pid() is None  # stopped after its second render
    render_pdf(HTML, b"0" * 32)
    assert render_process.child_pid() not in (None, first)


def test_the_child_is_replaced_when_it_holds_too_much_memory(fresh_renderer, settings):
    settings.REPORT_RENDER_MAX_MB = 1
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")
    assert render_process.child_pid() is None


def test_an_idle_child_ends_and_the_next_render_starts_another(fresh_renderer, settings):
    settings.REPORT_RENDER_IDLE_SECONDS = 1
    render_pdf(HTML, b"0" * 32)
    process = fresh_renderer._process
    assert wait_until(lambda: not process.is_alive())
    assert process.exitcode == 0
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")


def test_a_child_that_died_while_idle_is_replaced(fresh_renderer):
    render_pdf(HTML, b"0" * 32)
    os.kill(render_process.child_pid(), signal.SIGKILL)
    assert wait_until(lambda: render_process.child_pid() is None)
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")


def test_a_crash_during_a_render_is_tried_once_more_in_a_new_child(tmp_path, monkeypatch):
    monkeypatch.setenv("RENDER_CRASH_MARKER", str(tmp_path / "crashed"))
    renderer = render_process.RenderProcess(target=render_children.crash_on_first_job)
    try:
        content, refused = renderer.render(HTML, b"0" * 32, {})
    finally:
        renderer.close()
    assert (tmp_path / "crashed").exists()
    assert content.startswith(b"%PDF") and refused == []


def test_a_render_that_always_crashes_fails_cleanly():
    renderer = render_process.RenderProcess(target=render_children.crash_on_every_job)
    try:
        with pytest.raises(RenderFailed, match="ended"):
            renderer.render(HTML, b"0" * 32, {})
        assert renderer.pid is None
    finally:
        renderer.close()


def test_a_render_longer_than_the_timeout_is_killed(fresh_renderer, settings):
    render_pdf(HTML, b"0" * 32)
    slow = fresh_renderer._process
    settings.REPORT_RENDER_TIMEOUT = 0
    with pytest.raises(RenderFailed, match="longer than 0 seconds"):
        render_pdf(HTML, b"0" * 32)
    assert not slow.is_alive()
    settings.REPORT_RENDER_TIMEOUT = 600
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")


def test_an_error_inside_the_render_is_reported_and_the_child_lives_on(fresh_renderer):
    render_pdf(HTML, b"0" * 32)
    pid = render_process.child_pid()
    with pytest.raises(RenderFailed, match="AttributeError"):
        render_process.render(HTML, b"0" * 32, "not a manifest")
    assert render_process.child_pid() == pid


def test_a_failed_render_answers_503_and_the_next_request_renders(
    client_for, negotiator, db, monkeypatch
):
    make_mapping(kz=[make_clause()])
    client = client_for(negotiator)
    url = reverse("standards:report-pdf") + "?gaps=0&lang=en"

    def fail(*args):
        raise RenderFailed("the render process ended during the render")

    with monkeypatch.context() as patched:
        patched.setattr(render_process, "render", fail)
        patched.setattr(render_process, "render_sections", fail)
        response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"could not be prepared" in response.content
    assert ReportFile.objects.get().status == ReportFile.Status.FAILED
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_start_brings_the_child_up_ahead_of_the_render(fresh_renderer):
    render_process.start()
    pid = render_process.child_pid()
    assert pid not in (None, os.getpid())
    render_process.start()  # running already: the same child
    assert render_pdf(HTML, b"0" * 32).startswith(b"%PDF")
    assert render_process.child_pid() == pid


def test_start_does_not_wait_for_a_render_under_way(fresh_renderer):
    fresh_renderer._lock.acquire()  # a render of another thread holds the child
    try:
        started = time.monotonic()
        render_process.start()
        assert time.monotonic() - started < 1
        assert render_process.child_pid() is None  # left to the render that holds it
    finally:
        fresh_renderer._lock.release()


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "expected"), [("pdf", ["start", "build"]), ("csv", ["build"])])
def test_a_pdf_report_starts_the_render_process_before_it_gathers_the_report(
    monkeypatch, fmt, expected
):
    from django.http import QueryDict

    from standards.reports import render
    from standards.reports.fingerprint import version_of
    from standards.reports.selection import selection_from

    events = []
    real_build = render.build_report
    monkeypatch.setattr(render_process, "start", lambda: events.append("start"))
    monkeypatch.setattr(render_process, "render_sections", lambda *a: (b"%PDF-", []))
    monkeypatch.setattr(render_process, "render", lambda *a: (b"%PDF-", []))

    def build(*args, **kwargs):
        events.append("build")
        return real_build(*args, **kwargs)

    monkeypatch.setattr(render, "build_report", build)
    make_mapping(key="KZCN-001", kz=[make_clause()])
    _form, selection = selection_from(QueryDict("gaps=0"))
    render.produce(selection, fmt, version_of(selection)[1])
    assert events == expected
