"""Ten PDF renders at the same moment against the two servers people run: `make run`'s
(runserver, one process with a thread per request) and `make serve`'s (gunicorn, sync
workers). Each request is a different selection, so each is a render of its own, and
every one must come back as a PDF with the server still up (standards/reports/
render_process.py draws every PDF in a render child, one at a time)."""

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PASSWORD = "parallel-renders-Pa55"
# Ten whole reference reports, each its own cache key (language × gaps × originals): renders
# of this size crashed runserver or logged "corrupted double-linked list" when they ran in
# threads of one process.
SELECTIONS = [
    f"lang={lang}&gaps={gaps}{extra}"
    for lang in ("en", "ru", "kk", "zh-hans")
    for gaps, extra in (("0", ""), ("1", ""), ("0", "&originals=on"))
][:10]


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    """A SQLite portal with the reference data and one negotiator, as `make run` builds it."""
    root = tmp_path_factory.mktemp("parallel")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY="parallel-renders-only",
        SQLITE_PATH=str(root / "portal.sqlite3"),
        STATIC_ROOT=str(root / "static"),
        SECURE_COOKIES="False",
        ALLOWED_HOSTS=HOST,
    )
    manage({**env, "DEBUG": "True"}, "migrate", "--noinput")
    manage({**env, "DEBUG": "True"}, "load_reference_data")
    manage(
        {**env, "DEBUG": "True"},
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from standards.services import NEGOTIATOR, assign_role\n"
        f"user = get_user_model().objects.create_user('parallel', password={PASSWORD!r})\n"
        "assign_role(user, NEGOTIATOR)\n",
    )
    return env


class Session:
    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, form=None):
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=300)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, data

    def login(self):
        _status, _headers, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token.decode(), "username": "parallel", "password": PASSWORD}
        status, headers, _body = self.request("POST", "/accounts/login/", form)
        assert status == 302 and "/accounts/login/" not in headers["Location"], status


def wait_for(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server did not start"
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start listening")


def start(argv, env, log):
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def ten_renders_at_once(port):
    session = Session(port)
    session.login()
    barrier = threading.Barrier(len(SELECTIONS))
    answers = {}

    def fetch(query):
        barrier.wait(30)
        answers[query] = session.request("GET", f"/reports/gap.pdf?{query}")

    threads = [threading.Thread(target=fetch, args=(query,)) for query in SELECTIONS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return answers


def assert_all_pdfs(answers, process, log_path):
    log = log_path.read_text(errors="replace")
    assert process.poll() is None, f"the server died:\n{log[-3000:]}"
    assert len(answers) == len(SELECTIONS)
    for query, (status, headers, body) in answers.items():
        assert status == 200, (query, status, body[:300])
        assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF"), query
    assert "corrupted" not in log and "invalid next size" not in log, log[-3000:]


def serve_and_render(argv, env, log_path, port):
    """Start the server, fire the ten renders at it, check every answer, stop it."""
    with log_path.open("w") as log:
        process = start(argv, env, log)
        try:
            wait_for(port, process)
            assert_all_pdfs(ten_renders_at_once(port), process, log_path)
        finally:
            stop(process)


def test_ten_parallel_pdf_renders_on_make_runs_server(server_env, tmp_path):
    port = free_port()
    argv = [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{port}"]
    serve_and_render(argv, {**server_env, "DEBUG": "True"}, tmp_path / "runserver.log", port)


def test_ten_parallel_pdf_renders_on_make_serves_server(server_env, tmp_path):
    env = {**server_env, "DEBUG": "False", "WEB_CONCURRENCY": "2", "HOST": HOST}
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    port = free_port()
    env["PORT"] = str(port)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    argv = [gunicorn, "--config", "portal/gunicorn.conf.py"]
    serve_and_render(argv, env, tmp_path / "gunicorn.log", port)
