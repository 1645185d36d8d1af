"""Memory of a long-running web process and report worker over 100 mixed requests.

A throwaway SQLite portal with the reference data (a temporary directory, deleted
afterwards) is served by `make run`'s server (runserver, a thread per request) or
`make serve`'s (gunicorn with portal/gunicorn.conf.py), with the report worker beside it.
One negotiator and one editor, logged in over HTTP, then go through --cycles (4) cycles
of 40 requests:

- 20 requests: 12 pages (dashboard, comparison with filters, a pair page, what changed,
  the report builder, the market-access report, the registers) as the negotiator, and 8
  hostile requests as the editor (a CSV header of 1,000,000 columns, twice; an XLSX
  declaring A1:ALL40000; an XLSX nesting XML entities; a confirmation, an import and an
  export naming a format or a resource the page does not offer);
- from the second cycle on, an edit of one mapping (a new data version), then
- 20 PDFs at the same moment, each a selection of its own: ten topic reports the web
  process renders and ten whole reports above REPORT_BACKGROUND_THRESHOLD (set to 40
  here) that the worker renders, each followed to its download. Odd and even cycles
  ask for two different sets of 20 (other languages); after an edit, each is a new
  render.

Every answer must be the expected one (a 4xx for the hostile requests, a PDF for the
renders) and the server must stay up. After each half cycle, and after a 15 s pause at
the end, it prints the resident memory of the web process(es) and of their render child,
and of the worker and of its render child. Memory is flat when the web process and the
worker end within 10 % of where they stood after the second cycle, when both sets of
selections and every language have been rendered once.

    DEBUG=False SECRET_KEY=bench-only .venv/bin/python bench/bounded_work.py --server runserver
    DEBUG=False SECRET_KEY=bench-only .venv/bin/python bench/bounded_work.py --server gunicorn
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http import HTTPStatus
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import children, free_port, rss_mb

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"
PASSWORD = "bounded-work-Pa55"
BACKGROUND_THRESHOLD = 40
# Memory is compared with where it stood after this cycle: both sets of selections and
# every language have been rendered once by then.
BASELINE_CYCLE = 2
FLAT_PERCENT = 10
TOPICS = ["microbiology", "contaminants", "residues", "physico_chemical", "cold_chain"]
PAGES = [
    "/",
    "/compare/",
    "/compare/?alignment=kz_only&alignment=cn_only",
    "/compare/?topic=residues&product=heat_treated",
    "/changes/?since=2026-01-01",
    "/reports/",
    "/reports/market-access/",
    "/pairs/KZCN-001/",
    "/catalogue/",
    "/establishments/",
    "/zones/",
    "/visits/",
]
PARAMETER_HEADER = ["key", "name_en", "name_ru", "name_zh", "unit", "family", "name_kk"]


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


# --- HTTP ------------------------------------------------------------------------------------


class Session:
    """One user's cookies over http.client, as a browser would send them."""

    def __init__(self, port):
        self.port, self.cookies, self.lock = port, {}, threading.Lock()

    def request(self, method, path, body=None, content_type=None):
        import http.client
        from http.cookies import SimpleCookie

        headers = {"Host": HOST}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if content_type:
            headers["Content-Type"] = content_type
        headers["Referer"] = f"http://{HOST}:{self.port}/"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=600)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        with self.lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, data

    def form(self, path, fields, files=None):
        """POST a multipart form with the page's CSRF token."""
        _status, _headers, page = self.request("GET", path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        fields = {"csrfmiddlewaretoken": token.group(1).decode() if token else "", **fields}
        boundary = "----bounded-work-boundary"
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def login(self, username):
        status, headers, _body = self.form(
            "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        if status != HTTPStatus.FOUND or "/accounts/login/" in headers.get("Location", ""):
            raise SystemExit(f"could not log in as {username} ({status})")


# --- hostile files ---------------------------------------------------------------------------


def xlsx(rows, edit=None):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml" and edit:
                content = edit(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def laughs(xml, levels=6):
    entities = [b'<!ENTITY l0 "lol">'] + [
        b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, levels + 1)
    ]
    declaration, sep, body = xml.rpartition(b"?>")
    doctype = b"<!DOCTYPE worksheet [%s]>" % b"".join(entities)
    return declaration + sep + doctype + body.replace(b"<t>Lead</t>", b"<t>&l%d;</t>" % levels)


def hostile_requests():
    """(name, function of the editor's session → status) for the hostile requests."""
    row = ["lead", "Lead", "", "", "", "", ""]
    wide = (",".join(PARAMETER_HEADER + [f"c{i}" for i in range(1_000_000)]) + "\n").encode()
    sparse = xlsx(
        [PARAMETER_HEADER, row],
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:ALL40000"', xml),
    )
    nested = xlsx([PARAMETER_HEADER, row], laughs)
    base = "/admin/standards/parameter/"

    def upload(fmt, name, content, **extra):
        def send(session):
            fields = {"resource": "0", "format": fmt, "reason": "Hostile file", **extra}
            files = {"import_file": (name, content)}
            return session.form(f"{base}import/", fields, files)[0]

        return send

    def confirm(session):
        fields = {
            "import_file_name": "0" * 32,
            "original_file_name": "p.csv",
            "format": "99",
            "resource": "0",
            "reason": "Forged",
        }
        return session.form(f"{base}process_import/", fields)[0]

    def export(session):
        return session.form(f"{base}export/", {"format": "abc", "resource": "7"})[0]

    return [
        ("csv header, 1,000,000 columns", upload("0", "wide.csv", wide)),
        ("xlsx declaring A1:ALL40000", upload("1", "sparse.xlsx", sparse)),
        ("xlsx nesting XML entities", upload("1", "nested.xlsx", nested)),
        ("import, resource=7", upload("0", "p.csv", b"key,name_en\n", resource="7")),
        ("import, format=abc", upload("abc", "p.csv", b"key,name_en\n")),
        ("confirmation, format=99", confirm),
        ("export, format=abc, resource=7", export),
        ("csv header, 1,000,000 columns (again)", upload("0", "wide.csv", wide)),
    ]


# --- the run ---------------------------------------------------------------------------------


def pdf_selections(burst):
    """Twenty selections of their own for each burst: ten topic reports (rendered by the
    web process) and ten whole reports (by the worker)."""
    languages = (("en", "zh-hans"), ("ru", "kk"))[burst]
    small = [f"topic={t}&lang={lang}" for lang in languages for t in TOPICS]
    second = {"en": "zh-hans", "ru": "zh-hans", "kk": "zh-hans", "zh-hans": "ru"}
    big = [
        f"lang={lang}&gaps={gaps}{extra.format(second[lang])}"
        for lang in ("en", "ru", "kk", "zh-hans")
        for gaps, extra in (("0", ""), ("1", ""), ("0", "&originals=on"), ("0", "&lang2={}"),
                            ("1", "&lang2={}"))
    ][burst * 10 : burst * 10 + 10]  # fmt: skip
    return small + big


def fetch_pdf(session, query):
    """The PDF of a selection, followed through the worker's job page when it is one."""
    status, headers, body = session.request("GET", f"/reports/gap.pdf?{query}")
    for _ in range(200):
        if status == HTTPStatus.FOUND and "/reports/jobs/" in headers.get("Location", ""):
            job = re.sub(r"^https?://[^/]+", "", headers["Location"])
            _s, _h, page = session.request("GET", job)
            if f"{job}download/".encode() in page:
                status, headers, body = session.request("GET", f"{job}download/")
                break
            if b"alert-danger" in page:
                return "failed"
            time.sleep(2)
        elif status == HTTPStatus.ACCEPTED:
            time.sleep(float(headers.get("Retry-After") or 2))
            status, headers, body = session.request("GET", f"/reports/gap.pdf?{query}")
        else:
            break
    return "pdf" if status == HTTPStatus.OK and body.startswith(b"%PDF") else f"{status}"


def parallel_pdfs(session, burst):
    answers = {}
    selections = pdf_selections(burst)
    barrier = threading.Barrier(len(selections))

    def one(query):
        barrier.wait(60)
        answers[query] = fetch_pdf(session, query)

    threads = [threading.Thread(target=one, args=(q,)) for q in selections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(900)
    return answers


class Portal:
    def __init__(self, server, workdir, debug):
        self.server, self.workdir, self.debug = server, workdir, debug
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
        self.env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            SECRET_KEY="bounded-work-only",
            SQLITE_PATH=str(workdir / "portal.sqlite3"),
            STATIC_ROOT=str(workdir / "static"),
            SECURE_COOKIES="False",
            ALLOWED_HOSTS=HOST,
            REPORT_BACKGROUND_THRESHOLD=str(BACKGROUND_THRESHOLD),
            WEB_CONCURRENCY="2",
        )
        self.procs = {}

    def build(self):
        debug = {**self.env, "DEBUG": "True"}
        manage(debug, "migrate", "--noinput")
        manage(debug, "load_reference_data")
        manage(
            debug,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from standards.services import EDITOR, NEGOTIATOR, assign_role\n"
            "User = get_user_model()\n"
            f"assign_role(User.objects.create_user('neg', password={PASSWORD!r}), NEGOTIATOR)\n"
            f"assign_role(User.objects.create_user('ed', password={PASSWORD!r}), EDITOR)\n",
        )
        manage({**self.env, "DEBUG": "False"}, "collectstatic", "--noinput", "--verbosity", "0")

    def edit(self):
        """An edit of one mapping, as an editor's save makes it: a new data version."""
        manage(
            {**self.env, "DEBUG": "True"},
            "shell",
            "-c",
            "from django.utils import timezone\n"
            "from standards.models import ClauseMapping\n"
            "ClauseMapping.objects.filter(key='KZCN-001').update(updated_at=timezone.now())\n",
        )

    def start(self, port):
        if self.server == "runserver":
            # As `make run` starts it (Makefile: MALLOC_ARENA_MAX).
            env = {**self.env, "DEBUG": str(self.debug)}
            env.setdefault("MALLOC_ARENA_MAX", "2")
            web = [PY, "manage.py", "runserver", "--noreload", f"{HOST}:{port}"]
        else:
            env = {**self.env, "DEBUG": "False", "HOST": HOST, "PORT": str(port)}
            web = [str(Path(PY).with_name("gunicorn")), "--config", "portal/gunicorn.conf.py"]
        worker = [PY, "manage.py", "report_worker", "--no-reload", "--no-startup-delay"]
        for name, argv in (("web", web), ("worker", worker)):
            log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
            self.procs[name] = (
                subprocess.Popen(
                    argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )  # fmt: skip
        import socket

        for _ in range(300):
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def alive(self):
        return all(proc.poll() is None for proc, _log in self.procs.values())

    def memory(self):
        """(web MB, render children MB, worker MB, worker's render child MB): gunicorn's
        master and workers count as the web process; a child started by multiprocessing
        (the render child and its resource tracker) counts as a render child."""
        web, web_renders = self._split(self.procs["web"][0].pid)
        worker, worker_renders = self._split(self.procs["worker"][0].pid)
        return rss_mb(web), rss_mb(web_renders), rss_mb(worker), rss_mb(worker_renders)

    @staticmethod
    def _split(root):
        own, renders, todo = [], [], [root]
        while todo:
            pid = todo.pop()
            (renders if b"multiprocessing" in _cmdline(pid) else own).append(pid)
            todo += children(pid)
        return own, renders

    def stop(self):
        import signal

        for proc, log in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(40)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def mixed_round(negotiator, editor, hostile, failures):
    """The pages as the negotiator, the hostile requests as the editor: 20 requests."""
    for path in PAGES:
        status = negotiator.request("GET", path)[0]
        if status != HTTPStatus.OK:
            failures.append(f"{path}: {status}")
    for name, send in hostile:
        status = send(editor)
        if not HTTPStatus.BAD_REQUEST <= status < HTTPStatus.INTERNAL_SERVER_ERROR:
            failures.append(f"{name}: {status}")
    return len(PAGES) + len(hostile)


def row(memory):
    web, web_render, worker, worker_render = memory
    return f"{web:6} {web_render:7} {worker:7} {worker_render:7}"


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("runserver", "gunicorn"), default="runserver")
    parser.add_argument("--cycles", type=int, default=4, help="cycles of 40 requests")
    parser.add_argument(
        "--no-debug", action="store_true", help="runserver with DEBUG off (make run has it on)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bounded-work-"))
    portal = Portal(args.server, workdir, debug=not args.no_debug)
    failures = []
    try:
        portal.build()
        port = free_port()
        portal.start(port)
        negotiator, editor = Session(port), Session(port)
        negotiator.login("neg")
        editor.login("ed")
        hostile = hostile_requests()
        debug = "on" if args.server == "runserver" and not args.no_debug else "off"
        print(f"server: {args.server}, DEBUG {debug}; resident memory in MB of the web")
        print("process(es), its render child, the worker, and the worker's render child")
        print(f"{'after':28} {'web':>6} {'render':>7} {'worker':>7} {'render':>7}  requests")
        print(f"{'start':28} {row(portal.memory())}")
        sent, marks = 0, []
        for cycle in range(1, args.cycles + 1):
            sent += mixed_round(negotiator, editor, hostile, failures)
            if not portal.alive():
                failures.append("a server process died")
                break
            print(f"{f'cycle {cycle}: pages ({sent})':28} {row(portal.memory())}")
            if cycle > 1:
                portal.edit()  # a new data version: the same selections render again
            answers = parallel_pdfs(negotiator, (cycle - 1) % 2)
            sent += len(answers)
            failures += [f"PDF {q}: {a}" for q, a in answers.items() if a != "pdf"]
            if not portal.alive():
                failures.append("a server process died")
                break
            memory = portal.memory()
            marks.append((memory[0], memory[2]))
            print(f"{f'cycle {cycle}: 20 PDFs ({sent})':28} {row(memory)}")
        time.sleep(15)
        memory = portal.memory()
        web, worker = memory[0], memory[2]
        print(f"{'15 s later':28} {row(memory)}")
        if len(marks) >= BASELINE_CYCLE:
            (web1, worker1) = marks[BASELINE_CYCLE - 1]
            for name, first, last in (("web", web1, web), ("worker", worker1, worker)):
                change = (last - first) / first * 100 if first else 0.0
                verdict = "flat" if abs(change) <= FLAT_PERCENT else "NOT flat"
                print(f"{name}: {first} MB after cycle {BASELINE_CYCLE}, {last} MB after "
                      f"{sent} requests ({change:+.1f} %): {verdict}")  # fmt: skip
    finally:
        portal.stop()
        log = (workdir / "web.log").read_text(errors="replace")
        if "corrupted" in log or "invalid next size" in log:
            failures.append("the web log shows heap corruption")
        shutil.rmtree(workdir, ignore_errors=True)
    for failure in failures:
        print(f"FAIL {failure}")
    print("all answers as expected" if not failures else f"{len(failures)} unexpected answers")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
