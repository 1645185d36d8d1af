"""Load and soak tests of the portal over HTTP, on 127.0.0.1 only (`make loadtest`, `make soak`).

    loadtest.py load [--users 20] [--seconds 120] [--idle-requests 10]
    loadtest.py soak [--users 20] [--seconds 600]

Both build (or reuse) the PostgreSQL database `portal_load` (migrations, reference data,
20,000 synthetic mappings), create the load-test accounts (bench/loadtest_db.py), start
gunicorn with the project's config (portal/gunicorn.conf.py, WEB_CONCURRENCY from the
environment) and the report worker on a free port of 127.0.0.1, drive them from this
process, stop them, and write the figures to var/ (JSON and a text table).

`load`: phase A, one user requesting every page type in turn (idle medians; its reports
are selections nobody asked for before, rendered on request); phase B, `--users`
concurrent users (regulators browsing, negotiators also downloading the reports of their
working set, which they downloaded in the month before, and now and then a background
PDF nobody asked for before) for `--seconds`, while an editor changes mapping statuses
through the real admin change form, with reasons. Goals: no errors, for every browsing
page type p95 in phase B at most 5x its idle median, at least 95 % of phase B's report
downloads served from the cache (the worker has pre-rendered them, edits or not), and
the history consistent with the edits (bench/loadtest_db.py verify-soak).

`soak`: a short idle phase, then the same load for `--seconds` with two editors.

Every request goes to 127.0.0.1; there is no option to send it anywhere else. Every
loop is bounded by a request count and a deadline. Exit status: 0 all goals met, 1 a goal
missed, 2 the test could not run.
"""

import argparse
import html.parser
import http.client
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = "127.0.0.1"  # the only address this harness ever sends a request to
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REQUEST_TIMEOUT = 120  # seconds; gunicorn's own timeout is 120 s too
# The redirects after which a response's Location is checked for the login page.
REDIRECTS = (HTTPStatus.MOVED_PERMANENTLY, HTTPStatus.FOUND, HTTPStatus.SEE_OTHER)
RATIO_GOAL = 5.0
CACHE_HIT_GOAL = 0.95
EDITORS = {"load": 1, "soak": 2}  # editing in the admin throughout the busy phase
# How long the report worker may take to pre-render the working set before the run.
PRERENDER_WAIT = 300
MAPPINGS = 20_000
SEED = 1

BROWSE = [
    "dashboard",
    "compare",
    "compare_250",
    "compare_1000",
    "pair_reference",
    "pair_synthetic",
    "standards",
    "search_latin",
    "search_cyrillic",
    "search_chinese",
    "search_chinese_1char",
]
EXPORT = ["report_csv", "report_xlsx", "report_pdf"]
# Weights of the page types in a regulator's browsing (a negotiator browses alike and
# exports every so often).
BROWSE_WEIGHTS = {
    "dashboard": 12,
    "compare": 20,
    "compare_250": 8,
    "compare_1000": 2,
    "pair_reference": 10,
    "pair_synthetic": 18,
    "standards": 6,
    "search_latin": 7,
    "search_cyrillic": 7,
    "search_chinese": 6,
    "search_chinese_1char": 4,
}
NEGOTIATOR_EXPORT_SHARE = 0.3
# Shares of the comparison requests of 25-250 rows that add each optional parameter.
COMPARE_STANDARD_SHARE = 0.15  # one document (standard)
COMPARE_SEARCH_SHARE = 0.1  # a search term
COMPARE_ORIGINALS_SHARE = 0.3  # the original texts instead of the translations
COMPARE_LATER_PAGE_SHARE = 0.2  # a page from 2 to 5
# Shares of the 1,000-row comparison requests limited to one product group, and asking for
# a later page.
COMPARE_1000_PRODUCT_SHARE = 0.5
COMPARE_1000_LATER_PAGE_SHARE = 0.3
EXPORT_ORIGINALS_SHARE = 0.5  # share of the exports that include the original texts
SEARCH_TERMS = {
    "search_latin": ["Salmonella", "salmonella", "Listeria", "lead"],
    "search_cyrillic": ["свинец", "сальмонелл", "Свинец", "кадмий"],
    "search_chinese": ["沙门氏菌", "菌落总数", "李斯特"],
    # One Chinese character ("lead", "cadmium"): too short for the trigram index.
    "search_chinese_1char": ["铅", "镉"],
}
LANGUAGES = ["en", "en", "ru", "kk", "zh-hans"]
REPORT_LANGUAGES = ["en", "ru", "kk", "zh-hans"]
COMPARE_FILTERS = {
    "product": ["chilled", "heat_treated"],
    "topic": [
        "microbiology",
        "contaminants",
        "residues",
        "physico_chemical",
        "additives",
        "cold_chain",
        "heat_treatment",
        "labelling",
        "transport",
    ],
    "status": ["not_started", "technical_review", "negotiation", "agreed", "harmonized"],
    "alignment": ["equivalent", "kz_stricter", "cn_stricter", "different", "kz_only", "cn_only"],
    "confidence": ["high", "medium", "low"],
}
SORTS = ["key", "title", "topic", "status", "alignment", "updated"]


# --------------------------------------------------------------------------- statistics


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Recorder:
    """Every request: phase, page type, start, seconds, status, error (None when fine)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []
        self.phase = "setup"
        # Report downloads by phase: served from the cache ("hit", X-Report-Cache),
        # rendered for the request ("miss"), or joined to a render under way (a 202).
        self.cache = {}

    def cache_outcome(self, outcome):
        with self.lock:
            counts = self.cache.setdefault(self.phase, {"hit": 0, "miss": 0, "joined": 0})
            counts[outcome] += 1

    def add(self, kind, started, elapsed, status, error):
        with self.lock:
            self.samples.append((self.phase, kind, started, elapsed, status, error))

    def of(self, phase, kinds=None):
        return [s for s in self.samples if s[0] == phase and (kinds is None or s[1] in kinds)]

    def errors(self, phase=None):
        return [s for s in self.samples if s[5] and (phase is None or s[0] == phase)]


def summarise(samples, duration=None):
    times = [s[3] for s in samples if not s[5]]
    out = {
        "requests": len(samples),
        "errors": sum(1 for s in samples if s[5]),
        "p50_ms": _ms(percentile(times, 0.50)),
        "p95_ms": _ms(percentile(times, 0.95)),
        "p99_ms": _ms(percentile(times, 0.99)),
        "max_ms": _ms(max(times) if times else None),
    }
    if duration:
        out["per_second"] = round(len(samples) / duration, 2)
    return out


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


# --------------------------------------------------------------------------- HTTP client


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("Location", "")


class Client:
    """One browser: its own cookies and language, one connection per request (gunicorn's
    sync workers close the connection after each response anyway)."""

    def __init__(self, port, recorder, language="en"):
        self.port, self.recorder, self.language = port, recorder, language
        self.cookies = {}

    def request(self, kind, method, path, form=None, expect=(200,)):
        assert path.startswith("/"), path  # a path on 127.0.0.1, never a full URL
        headers = {"Accept-Language": self.language, "User-Agent": "portal-loadtest"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.time()
        clock = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            try:
                connection.request(method, path, body=body, headers=headers)
                raw = connection.getresponse()
                data = raw.read()
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.add(kind, started, time.perf_counter() - clock, None, repr(exc)[:200])
            return None
        elapsed = time.perf_counter() - clock
        for header in raw.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        response = Response(raw.status, raw.headers, data)
        error = None
        if raw.status >= HTTPStatus.BAD_REQUEST or raw.status < HTTPStatus.OK:
            error = f"HTTP {raw.status} {method} {path[:120]}"
        elif raw.status not in expect:
            error = f"HTTP {raw.status} (expected {expect}) {method} {path[:120]}"
        elif raw.status in REDIRECTS and "/accounts/login/" in response.location:
            error = f"redirected to the login page: {path[:120]}"
        self.recorder.add(kind, started, elapsed, raw.status, error)
        return response

    def get(self, kind, path, expect=(200,)):
        return self.request(kind, "GET", path, expect=expect)

    def login(self, username, password):
        page = self.get("login", "/accounts/login/")
        if page is None or page.status != HTTPStatus.OK:
            return False
        fields = dict(FormParser.fields_of(page.text))
        fields.update(username=username, password=password, next="/")
        answer = self.request("login", "POST", "/accounts/login/", fields, expect=(302,))
        return (
            answer is not None
            and answer.status == HTTPStatus.FOUND
            and answer.location in ("/", "")
        )


class FormParser(html.parser.HTMLParser):
    """The fields of one form as a browser submits them (without its submit buttons)."""

    def __init__(self, form_id=None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = self.found = False
        self.fields = []
        self.select = self.textarea = self.option = None

    @classmethod
    def fields_of(cls, page, form_id=None):
        parser = cls(form_id)
        parser.feed(page)
        parser.close()
        return parser.fields

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            wanted = a.get("id") == self.form_id if self.form_id else a.get("method") == "post"
            if wanted and not self.found:
                self.inside = self.found = True
            return
        if not self.inside or "disabled" in a:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            name = a.get("name")
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "select":
            self.select = {"name": a.get("name"), "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self.select["options"].append(self.option)
        elif tag == "textarea":
            self.textarea = {"name": a.get("name"), "text": []}

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self.fields.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = "".join(self.textarea["text"])
            # A browser drops the line break right after <textarea> (Django writes one).
            self.fields.append((self.textarea["name"], text.removeprefix("\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"].append(data)
        elif self.option is not None:
            self.option["text"] += data


# --------------------------------------------------------------------------- scenario


class Scenario:
    """Paths for each page type, drawn from the plan (bench/loadtest_db.py plan)."""

    def __init__(self, plan, rng):
        self.plan, self.rng = plan, rng
        self.big = list(plan["big_reports"])
        self.big_lock = threading.Lock()

    def working_set_download(self):
        """(page type, path) of a report of the working set (bench/loadtest_db.py)."""
        item = self.rng.choice(self.plan["working_set"])
        return f"report_{item['fmt']}", item["path"]

    def path(self, kind):
        """The path of one request of a page type."""
        rng, plan = self.rng, self.plan
        if kind == "dashboard":
            return "/"
        if kind in ("compare", "compare_250"):
            return self._compare_path(kind)
        if kind == "compare_1000":
            return self._compare_1000_path()
        if kind == "pair_reference":
            return f"/pairs/{rng.choice(plan['reference_keys'])}/"
        if kind == "pair_synthetic":
            return f"/pairs/{rng.choice(plan['synthetic_keys'])}/"
        if kind == "standards":
            return "/standards/"
        if kind in SEARCH_TERMS:
            return "/search/?" + urlencode({"q": rng.choice(SEARCH_TERMS[kind])})
        if kind in EXPORT:
            return self._export_path(kind)
        raise ValueError(kind)

    def _compare_path(self, kind):
        """A comparison of 25-50 rows (`compare`) or 100-250 rows (`compare_250`).

        Page size drives the cost: 25-50 rows (50 is the default) and 100-250 rows are
        separate page types, so that each type's p95 is compared with the median of like
        pages (a mixed type's idle p95 is already 3.4x its median)."""
        rng, plan = self.rng, self.plan
        params = {}
        for name in rng.sample(sorted(COMPARE_FILTERS), rng.randint(0, 3)):
            params[name] = rng.choice(COMPARE_FILTERS[name])
        if rng.random() < COMPARE_STANDARD_SHARE:
            params["standard"] = rng.choice(plan["standard_keys"])
        if rng.random() < COMPARE_SEARCH_SHARE:
            terms = [t for kind, ts in SEARCH_TERMS.items() if kind in BROWSE for t in ts]
            params["q"] = rng.choice(terms or ["Salmonella"])
        params["per_page"] = rng.choice([25, 50] if kind == "compare" else [100, 250])
        params["sort"] = rng.choice(["", "-"]) + rng.choice(SORTS)
        if rng.random() < COMPARE_ORIGINALS_SHARE:
            params["text"] = "original"
        if rng.random() < COMPARE_LATER_PAGE_SHARE:
            params["page"] = rng.randint(2, 5)
        return "/compare/?" + urlencode(params)

    def _compare_1000_path(self):
        """A comparison of 1,000 rows, sometimes of one product group or a later page."""
        rng = self.rng
        params = {"per_page": 1000, "sort": rng.choice(SORTS)}
        if rng.random() < COMPARE_1000_PRODUCT_SHARE:
            params["product"] = rng.choice(COMPARE_FILTERS["product"])
        if rng.random() < COMPARE_1000_LATER_PAGE_SHARE:
            params["page"] = rng.randint(2, 8)
        return "/compare/?" + urlencode(params)

    def _export_path(self, kind):
        """A CSV, XLSX or PDF report of a small selection, in one of the report languages."""
        rng = self.rng
        fmt = kind.removeprefix("report_")
        selection = rng.choice(self.plan["small_reports"])["query"]
        selection += f"&lang={rng.choice(REPORT_LANGUAGES)}"
        if rng.random() < EXPORT_ORIGINALS_SHARE:
            selection += "&originals=on"
        return f"/reports/gap.{fmt}?{selection}"

    def next_big(self):
        """A background-sized PDF selection not requested before in this run."""
        with self.big_lock:
            return self.big.pop() if self.big else None

    def browse_kind(self):
        kinds = list(BROWSE_WEIGHTS)
        return self.rng.choices(kinds, weights=[BROWSE_WEIGHTS[k] for k in kinds])[0]


# A report being pre-rendered answers 202 with Retry-After: asked again this often, as the
# "being prepared" page does in a browser.
JOIN_ATTEMPTS = 40


def fetch_page(client, scenario, kind, path=None):
    """One request of a page type (at `path`, or one the scenario draws); exports are
    checked for their content type. A 202 (another account is rendering this report) is
    asked again until the file comes; a redirect to a report job (this account is
    rendering it, in another request or tab) is followed as a browser does. Both are
    counted as joined."""
    path = path or scenario.path(kind)
    if kind not in EXPORT:
        return client.get(kind, path)
    response = client.get(kind, path, (200, 202, 302))
    joined = False
    for _ in range(JOIN_ATTEMPTS):
        if response is None or response.status != HTTPStatus.ACCEPTED:
            break
        joined = True
        time.sleep(float(response.headers.get("Retry-After") or 3))
        response = client.get(kind, path, (200, 202, 302))
    if response is not None and response.status == HTTPStatus.FOUND:
        joined, job = True, _job_path(client, kind, response)
        until = time.time() + JOIN_ATTEMPTS * 3
        response = job and watch_job(client, job, lambda: time.time() < until)
    if response is not None and response.status == HTTPStatus.OK:
        outcome = response.headers.get("X-Report-Cache", "miss")
        client.recorder.cache_outcome("joined" if joined else outcome)
        wanted = {"report_csv": "text/csv", "report_xlsx": "spreadsheet", "report_pdf": "pdf"}
        if wanted[kind] not in response.headers.get("Content-Type", ""):
            client.recorder.add(kind, time.time(), 0, 200, f"{kind}: not a {wanted[kind]} file")
    return response


def _job_path(client, kind, response):
    """The report job a redirect points at, or None (recorded as an error)."""
    job = urlsplit(response.location).path
    if re.fullmatch(r"/reports/jobs/\d+/", job):
        return job
    client.recorder.add(kind, time.time(), 0, 302, f"odd redirect {job}")
    return None


def watch_job(client, job, keep_going, wait=time.sleep):
    """Watch a report job's status page every 3 s, as its <meta refresh> does, while
    `keep_going()`, and download the file once the page links it: the download's
    response, or None."""
    while keep_going():
        page = client.get("report_job_page", job)
        if page is None or page.status != HTTPStatus.OK:
            return None
        if f"{job}download/" in page.text:
            download = client.get("report_job_download", f"{job}download/")
            return download if download is not None and download.status == HTTPStatus.OK else None
        if "alert-danger" in page.text:
            client.recorder.add("report_job_page", time.time(), 0, 200, "report job failed")
            return None
        wait(3)
    return None


def big_pdf(client, scenario, deadline, stop):
    """Ask for a PDF the worker renders, watch its status page as a browser does (every
    3 s), download it. Returns seconds from request to download, or None."""
    big = scenario.next_big()
    if big is None:
        return None
    started = time.perf_counter()
    path = f"/reports/gap.pdf?{big['query']}"
    response = client.get("report_pdf_background", path, (302, 200))
    if response is not None and response.status == HTTPStatus.OK:
        # Pre-rendered by the worker meanwhile (its selection's records did not change):
        # the file itself, a cache hit.
        if not response.body.startswith(b"%PDF"):
            client.recorder.add("report_pdf_background", time.time(), 0, 200, "not a PDF")
        return {"mappings": big["mappings"], "seconds": round(time.perf_counter() - started, 1)}
    if response is None or response.status != HTTPStatus.FOUND:
        return None
    job = _job_path(client, "report_pdf_background", response)
    if job is None:
        return None

    def keep_going():
        return time.time() < deadline and not stop.is_set()

    download = watch_job(client, job, keep_going, stop.wait)
    if download is None:
        return {"mappings": big["mappings"], "seconds": None} if not keep_going() else None
    if not download.body.startswith(b"%PDF"):
        client.recorder.add("report_job_download", time.time(), 0, 200, "not a PDF")
    return {"mappings": big["mappings"], "seconds": round(time.perf_counter() - started, 1)}


def static_assets(client, page):
    """A cold browser cache: the stylesheets and scripts the page links."""
    for path in sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page)))[:10]:
        client.get("static", path)


# --------------------------------------------------------------------------- servers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Servers:
    """gunicorn (portal/gunicorn.conf.py) and the report worker, each in its own process
    group, stopped by their own ids."""

    def __init__(self, env, logs):
        self.env, self.logs = env, logs
        self.procs = {}

    def start(self, port):
        env = {**self.env, "HOST": HOST, "PORT": str(port)}
        gunicorn = str(Path(PY).parent / "gunicorn")
        self._spawn("gunicorn", [gunicorn, "--config", "portal/gunicorn.conf.py"], env)
        worker = [PY, "manage.py", "report_worker", "--no-reload", "--no-startup-delay"]
        self._spawn("worker", [*worker, "--worker-id", f"loadtest-{os.getpid()}"], env)

    def _spawn(self, name, argv, env):
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = (proc, log)

    def alive(self):
        return all(proc.poll() is None for proc, _log in self.procs.values())

    def pids(self, name):
        """The process and its children (gunicorn's workers)."""
        proc = self.procs.get(name, (None, None))[0]
        if proc is None or proc.poll() is not None:
            return []
        return [proc.pid, *children(proc.pid)]

    def stop(self):
        for proc, _log in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, (proc, log) in self.procs.items():
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop within 40 s; killing its process group")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            log.close()
        self.procs = {}


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids):
    """CPU time of the processes and of their children that have exited (a process's
    reaped children count in its cutime/cstime: PostgreSQL's parallel workers and closed
    connections in the postmaster's, a restarted gunicorn worker in the master's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / ticks
    return total


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024)


def postgres_pids():
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def system_cpu():
    """(busy, total) jiffies of the whole machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class CpuMeter:
    """CPU used during a phase: the machine, gunicorn, the worker, PostgreSQL, this client."""

    def __init__(self, servers):
        self.servers = servers

    def _read(self):
        return {
            "system": system_cpu(),
            "gunicorn": cpu_seconds(self.servers.pids("gunicorn")),
            "worker": cpu_seconds(self.servers.pids("worker")),
            "postgres": cpu_seconds(postgres_pids()),
            "client": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            "clock": time.perf_counter(),
        }

    def start(self):
        self.begin = self._read()

    def stop(self):
        end, begin = self._read(), self.begin
        wall = end["clock"] - begin["clock"]
        busy = end["system"][0] - begin["system"][0]
        total = end["system"][1] - begin["system"][1]
        cores = os.cpu_count() or 1
        out = {"machine_busy_percent": round(100 * busy / total, 1) if total else None}
        mine = 0.0
        for name in ("gunicorn", "worker", "postgres", "client"):
            used = max(0.0, end[name] - begin[name]) / wall
            out[f"{name}_cores"] = round(used, 2)
            mine += used
        # Whatever else the shared machine ran meanwhile (other people's tests, say).
        if total:
            out["other_cores"] = round(max(0.0, cores * busy / total - mine), 2)
        return out


# --------------------------------------------------------------------------- database


def load_db_url(name):
    return f"{PG_SERVER}/{name}"


def run(argv, env, label):
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"{label} failed (exit {result.returncode})")
    return result.stdout, seconds


def prepare_database(name, env, rebuild):
    """Create the load-test database when it is missing (or --rebuild), migrate, and load
    the reference and synthetic data when they are not there yet. Returns timings."""
    import psycopg

    timings = {}
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            print(f"  created database {name}")
    manage = [PY, "manage.py"]
    _out, timings["migrate_s"] = run([*manage, "migrate", "--noinput", "-v0"], env, "migrate")
    with psycopg.connect(load_db_url(name)) as db:
        reference, synthetic = db.execute(
            "SELECT count(*) FILTER (WHERE key NOT LIKE 'SYN-%%'), "
            "count(*) FILTER (WHERE key LIKE 'SYN-%%') FROM standards_clausemapping"
        ).fetchone()
    if not reference:
        _out, timings["load_reference_data_s"] = run(
            [*manage, "load_reference_data"], env, "load_reference_data"
        )
    if synthetic != MAPPINGS:
        out, timings["generate_synthetic_s"] = run(
            [*manage, "generate_synthetic", "--mappings", str(MAPPINGS), "--seed", str(SEED)],
            env,
            "generate_synthetic",
        )
        print("  " + out.strip().splitlines()[-1])
    if not timings.keys() - {"migrate_s"}:
        print(f"  reused {name} ({reference} reference and {synthetic:,} synthetic mappings)")
    # Fresh planner statistics on every run (a soak's edits change the tables, and a server
    # without autovacuum, like this machine's, never gathers them): without them PostgreSQL
    # plans 44,000 clauses as if the tables were empty (nested loops computing a tsvector
    # for every clause: 0.9 s instead of 10 ms for a search).
    started = time.perf_counter()
    with psycopg.connect(load_db_url(name), autocommit=True) as db:
        db.execute("VACUUM (ANALYZE)")
    timings["vacuum_analyze_s"] = time.perf_counter() - started
    for step, seconds in timings.items():
        print(f"  {step.removesuffix('_s')}: {seconds:.1f} s")
    return timings


def helper(env, db, *args):
    out, _seconds = run([PY, "bench/loadtest_db.py", *args, "--expect-db", db], env, args[0])
    return json.loads(out)


# --------------------------------------------------------------------------- phases


def wait_for_prerender(env, db, logs, plan, stop):
    """Wait (at most PRERENDER_WAIT seconds) until the report worker has stored every
    report of the working set, as it does after it starts and after every edit."""
    plan_file = logs / "plan.json"
    plan_file.write_text(json.dumps(plan))
    started = time.perf_counter()
    while True:
        state = helper(env, db, "prerendered", "--plan", str(plan_file))
        waited = time.perf_counter() - started
        if state["done"] == state["of"] or waited >= PRERENDER_WAIT or stop.wait(3):
            return {**state, "seconds": round(waited, 1)}


def warm_up(port, recorder, scenario, accounts, workers, stop):
    """Each gunicorn worker imports, connects and compiles templates on its first
    requests: a round of every page type from as many clients as there are workers."""
    recorder.phase = "warmup"

    def one():
        client = Client(port, recorder)
        if not client.login(**accounts["negotiator"]):
            return
        for kind in [*BROWSE, *EXPORT]:
            if stop.is_set():
                return
            fetch_page(client, scenario, kind)

    threads = [threading.Thread(target=one) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def phase_a(port, recorder, scenario, accounts, per_kind, stop, big_pdfs):
    """One user, sequential: every page type in turn, `per_kind` requests each."""
    recorder.phase = "A"
    client = Client(port, recorder)
    if not client.login(**accounts["negotiator"]):
        raise SystemExit("phase A: the negotiator cannot log in")
    started = time.perf_counter()
    for _round in range(per_kind):
        for kind in [*BROWSE, *EXPORT]:
            if stop.is_set():
                return time.perf_counter() - started, []
            fetch_page(client, scenario, kind)
    background = []
    for _ in range(big_pdfs):
        result = big_pdf(client, scenario, time.time() + 300, stop)
        if result:
            background.append(result)
    return time.perf_counter() - started, background


class User(threading.Thread):
    """A regulator or negotiator: logs in, then requests pages with a think time between
    them until the deadline, the shared request budget or a stop."""

    def __init__(self, number, role, ctx):
        super().__init__(name=f"{role}-{number}", daemon=True)
        self.role, self.ctx = role, ctx
        self.rng = random.Random(f"{ctx.seed}-{role}-{number}")
        self.client = Client(ctx.port, ctx.recorder, self.rng.choice(LANGUAGES))
        self.scenario = Scenario(ctx.plan, self.rng)
        self.scenario.big = ctx.big_pool  # shared: each background PDF is asked for once
        self.scenario.big_lock = ctx.big_lock
        self.logged_in = False

    def run(self):
        ctx = self.ctx
        self.logged_in = self.client.login(**ctx.accounts[self.role])
        ctx.ready.wait()
        # Users arrive over the first think time, not all in the same millisecond.
        if not self.logged_in or ctx.stop.wait(self.rng.uniform(0, ctx.think_max)):
            return
        page = self.client.get("dashboard", "/")
        if page is not None and page.status == HTTPStatus.OK:
            static_assets(self.client, page.text)
        while not ctx.stop.wait(self.rng.uniform(ctx.think_min, ctx.think_max)):
            if time.time() >= ctx.deadline or not ctx.take_budget():
                return
            exports = self.role == "negotiator" and EXPORT
            if exports and self.rng.random() < NEGOTIATOR_EXPORT_SHARE:
                if ctx.take_big():
                    result = big_pdf(self.client, self.scenario, ctx.deadline, ctx.stop)
                    if result:
                        ctx.background.append(result)
                    continue
                fetch_page(self.client, self.scenario, *self.scenario.working_set_download())
            else:
                fetch_page(self.client, self.scenario, self.scenario.browse_kind())


class Context:
    def __init__(self, **values):
        self.__dict__.update(values)
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.background = []

    def take_budget(self):
        with self.lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True

    def take_big(self):
        """A background PDF now and then: at most `big_pdfs`, spread over the first half."""
        with self.lock:
            if self.big_left <= 0 or time.time() < self.next_big_at:
                return False
            self.big_left -= 1
            self.next_big_at = time.time() + self.big_every
            return True


def concurrent_phase(ctx, users, negotiators, phase):
    """Log every user in, then let them loose together; returns the measured seconds."""
    ctx.recorder.phase = "login"
    threads = [User(i, "negotiator" if i < negotiators else "regulator", ctx) for i in range(users)]
    for thread in threads:
        thread.start()
    login_deadline = time.time() + 120
    while time.time() < login_deadline and any(t.is_alive() and not t.logged_in for t in threads):
        time.sleep(0.2)
    failed = sum(1 for t in threads if not t.logged_in)
    if failed:
        print(f"  {failed} users could not log in")
    ctx.recorder.phase = phase
    started = time.perf_counter()
    ctx.deadline = time.time() + ctx.seconds
    ctx.ready.set()
    for thread in threads:
        thread.join(timeout=max(1.0, ctx.deadline - time.time()) + REQUEST_TIMEOUT + 5)
    ctx.stop.set()
    return time.perf_counter() - started


class Editor(threading.Thread):
    """An editor changing mapping statuses through the admin change form, with a reason:
    GET the change page, take every value of its form (CSRF token and the hidden
    loaded_version included), choose another status, POST with `_save`."""

    CONFLICT = "Someone else saved this mapping"
    REASON_REQUIRED = "Say why the"

    def __init__(self, number, ctx, pool, statuses, prefix, think):
        super().__init__(name=f"editor-{number}", daemon=True)
        self.number, self.ctx, self.pool, self.statuses = number, ctx, pool, statuses
        self.prefix, self.think = prefix, think
        self.rng = random.Random(f"{ctx.seed}-editor-{number}")
        self.client = Client(ctx.port, ctx.recorder, "en")
        self.edits, self.conflicts, self.refused, self.failures = [], 0, [], 0

    def run(self):
        ctx = self.ctx
        username = ctx.accounts["editor"]["username"]
        if not self.client.login(**ctx.accounts["editor"]):
            self.failures += 1
            return
        ctx.ready.wait()
        attempt = 0
        while not ctx.stop.wait(self.rng.uniform(*self.think)):
            if time.time() >= ctx.deadline or not ctx.take_budget():
                return
            attempt += 1
            mapping = self.rng.choice(self.pool)
            path = f"/admin/standards/clausemapping/{mapping['pk']}/change/"
            page = self.client.get("admin_change_get", path)
            if page is None or page.status != HTTPStatus.OK:
                self.failures += 1
                continue
            fields = FormParser.fields_of(page.text, "clausemapping_form")
            values = dict(fields)
            if "loaded_version" not in values or "csrfmiddlewaretoken" not in values:
                self.failures += 1
                self.client.recorder.add("admin_change_post", time.time(), 0, 200, "form unread")
                continue
            status = self.rng.choice([s for s in self.statuses if s != values.get("status")])
            reason = f"{self.prefix} e{self.number} #{attempt}: status to {status}"
            post = [(k, v) for k, v in fields if k not in ("status", "change_reason")]
            post += [("status", status), ("change_reason", reason), ("_save", "Save")]
            # A person reads the form before saving: the window for someone else's save.
            time.sleep(self.rng.uniform(0.2, 1.0))
            answer = self.client.request("admin_change_post", "POST", path, post, (302, 200))
            if answer is None:
                self.failures += 1
            elif answer.status == HTTPStatus.FOUND:
                self.edits.append(
                    {
                        "pk": mapping["pk"],
                        "status": status,
                        "reason": reason,
                        "loaded_version": values["loaded_version"],
                        "username": username,
                        "finished": time.time(),
                    }
                )
            elif self.CONFLICT in answer.text:
                self.conflicts += 1  # refused, and the editor is told why
            else:
                kind = "reason required" if self.REASON_REQUIRED in answer.text else "other"
                self.refused.append(f"{mapping['key']}: {kind}")
                self.client.recorder.add(
                    "admin_change_post", time.time(), 0, 200, f"edit refused ({kind})"
                )


# --------------------------------------------------------------------------- reporting


def machine():
    info = {"nproc": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0))}
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            info["ram_gib"] = round(int(line.split()[1]) / 2**20, 1)
    models = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    info["cpu_model"] = models[0] if models else "unknown"
    info["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
    info["python"] = sys.version.split()[0]
    return info


def kinds_table(recorder, idle, busy, busy_seconds):
    """Per page type: idle median (phase A) and the busy phase's figures and ratio."""
    rows = {}
    kinds = sorted({s[1] for s in recorder.of(idle) + recorder.of(busy)}, key=_kind_order)
    for kind in kinds:
        a = summarise(recorder.of(idle, {kind}))
        b = summarise(recorder.of(busy, {kind}), busy_seconds)
        ratio = None
        if a["p50_ms"] and b["p95_ms"]:
            ratio = round(b["p95_ms"] / a["p50_ms"], 2)
        rows[kind] = {
            "browse": kind in BROWSE,
            "idle": a,
            "busy": b,
            "ratio_p95_to_idle_p50": ratio,
        }
    browse_a = summarise(recorder.of(idle, set(BROWSE)))
    browse_b = summarise(recorder.of(busy, set(BROWSE)), busy_seconds)
    ratios = [r["ratio_p95_to_idle_p50"] for r in rows.values() if r["browse"]]
    ratios = [r for r in ratios if r is not None]
    # Overall: each busy browsing request's time over its page type's idle median, and the
    # p95 of that slowdown. (The p95 of the pooled times over their pooled median would
    # exceed 5 even on an idle server: a 1,000-row comparison is 20x a pair page.)
    slowdowns = [
        s[3] * 1000 / rows[s[1]]["idle"]["p50_ms"]
        for s in recorder.of(busy, set(BROWSE))
        if not s[5] and rows[s[1]]["idle"]["p50_ms"]
    ]
    overall = {
        "idle_browse": browse_a,
        "busy_browse": browse_b,
        "busy_all": summarise(recorder.of(busy), busy_seconds),
        "ratio_overall": _round(percentile(slowdowns, 0.95)),
        "ratio_worst_page_type": max(ratios) if ratios else None,
    }
    return rows, overall


def _round(value):
    return None if value is None else round(value, 2)


def _kind_order(kind):
    order = [*BROWSE, "static", *EXPORT, "report_pdf_background"]
    return (order.index(kind) if kind in order else len(order), kind)


def text_table(rows, overall, idle, busy):
    head = (
        f"{'page type':<24}{'idle n':>7}{'idle p50':>10}{busy + ' n':>9}{'req/s':>7}"
        f"{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'err':>5}{'p95/idle':>10}"
    )
    lines = [head, "-" * len(head)]

    def fmt(value):
        return "-" if value is None else f"{value:.0f}"

    for kind, row in rows.items():
        a, b = row["idle"], row["busy"]
        ratio = row["ratio_p95_to_idle_p50"]
        mark = ""
        if row["browse"] and ratio is not None:
            mark = " ok" if ratio <= RATIO_GOAL else " MISSED"
        lines.append(
            f"{kind:<24}{a['requests']:>7}{fmt(a['p50_ms']):>10}{b['requests']:>9}"
            f"{b.get('per_second', 0):>7.2f}{fmt(b['p50_ms']):>9}{fmt(b['p95_ms']):>9}"
            f"{fmt(b['p99_ms']):>9}{fmt(b['max_ms']):>9}{a['errors'] + b['errors']:>5}"
            f"{'-' if ratio is None else f'{ratio:.2f}':>10}{mark}"
        )
    lines.append("-" * len(head))
    bb, ab = overall["busy_browse"], overall["idle_browse"]
    lines.append(
        f"{'all browsing':<24}{ab['requests']:>7}{fmt(ab['p50_ms']):>10}{bb['requests']:>9}"
        f"{bb.get('per_second', 0):>7.2f}{fmt(bb['p50_ms']):>9}{fmt(bb['p95_ms']):>9}"
        f"{fmt(bb['p99_ms']):>9}{fmt(bb['max_ms']):>9}{ab['errors'] + bb['errors']:>5}"
        f"{'-' if overall['ratio_overall'] is None else overall['ratio_overall']:>10}"
    )
    lines.append(
        "(times in ms; p95/idle: p95 in the busy phase / idle median of the same page type; "
        "on the last line, p95 of every browsing request's time / its type's idle median)"
    )
    return lines


def write_results(name, result, lines):
    out = ROOT / "var"
    out.mkdir(exist_ok=True)
    (out / f"{name}-results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / f"{name}-results.txt").write_text("\n".join(lines) + "\n")
    print(f"\nResults: var/{name}-results.json and var/{name}-results.txt")


def error_summary(recorder):
    counts = {}
    for sample in recorder.errors():
        key = f"[{sample[0]}] {sample[5]}"
        key = re.sub(r"\?.*", "?…", key)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1])[:20])


def windows(recorder, phase, width=60):
    """Browse p95 per minute of the busy phase: does it drift during a soak?"""
    samples = recorder.of(phase, set(BROWSE))
    if not samples:
        return []
    start = min(s[2] for s in samples)
    buckets = {}
    for s in samples:
        buckets.setdefault(int((s[2] - start) // width), []).append(s)
    return [
        {"minute": index + 1, **summarise(bucket, width)}
        for index, bucket in sorted(buckets.items())
    ]


# --------------------------------------------------------------------------- main


def parse_args():
    parser = argparse.ArgumentParser(description="Load and soak tests on 127.0.0.1")
    parser.add_argument("mode", choices=["load", "soak"])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--negotiators", type=int, help="of the users (default a quarter)")
    parser.add_argument("--seconds", type=int, help="busy phase (load 120, soak 600)")
    parser.add_argument("--idle-requests", type=int, help="per page type in phase A")
    parser.add_argument("--think", default="1-5", help="seconds between a user's requests")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--big-pdfs", type=int, default=1, help="background PDFs, busy phase")
    parser.add_argument("--editors", type=int, help="concurrent editors (load 1, soak 2)")
    parser.add_argument("--editor-pool", type=int, default=12, help="mappings edited")
    parser.add_argument("--db", default=os.environ.get("LOAD_DB", "portal_load"))
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--exclude", default="", help="page types left out, comma-separated (for diagnosis)"
    )
    return parser.parse_args()


def exclude_page_types(exclude):
    """Leave the page types of `--exclude` (comma-separated) out of the scenario."""
    for kind in filter(None, exclude.split(",")):
        if kind not in BROWSE_WEIGHTS and kind not in EXPORT:
            raise SystemExit(f"--exclude: no page type {kind!r}")
        BROWSE_WEIGHTS.pop(kind, None)
        for kinds in (BROWSE, EXPORT):
            if kind in kinds:
                kinds.remove(kind)


def server_env(db, logs):
    """The environment of the servers and helpers: production settings, the load-test
    database, plain HTTP on 127.0.0.1."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DEBUG="False",
        SECRET_KEY="loadtest-only-secret-key-not-for-production",
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=load_db_url(db),
        SECURE_COOKIES="False",  # plain HTTP on the loopback interface
        STATIC_ROOT=str(logs / "static"),  # not the tree's staticfiles/, which make serve uses
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def stop_on_signals(stop):
    """Ctrl+C and SIGTERM set `stop` and interrupt the main thread (KeyboardInterrupt)."""

    def interrupted(signum, _frame):
        stop.set()
        raise KeyboardInterrupt

    # Also SIGINT: a shell without job control starts background jobs with it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupted)


def wait_until_ready(servers, port):
    """Wait for /healthz to answer 200 (at most 90 s); stop if a server exits meanwhile."""
    ready_by = time.time() + 90
    while time.time() < ready_by:
        if not servers.alive():
            raise SystemExit("a server exited at start; see var/loadtest/*.log")
        probe = Client(port, Recorder()).get("healthz", "/healthz")
        if probe is not None and probe.status == HTTPStatus.OK:
            break
        time.sleep(0.5)
    else:
        raise SystemExit("/healthz did not answer 200 within 90 s")


def start_editors(count, ctx, plan):
    """The editors, started (they log in, then wait for the busy phase). Returns
    them and the prefix of their change reasons."""
    prefix = f"soak {datetime.now(UTC):%Y%m%dT%H%M%S}"
    editors = [
        Editor(n, ctx, plan["editor_pool"], plan["statuses"], prefix, (0.5, 2.0))
        for n in range(count)
    ]
    ctx.recorder.phase = "login"
    for editor in editors:
        editor.start()
    return editors, prefix


def soak_check(editors, prefix, plan, env, db, logs):
    """The editors' counts, and the history tables checked against the edits they saved
    (loadtest_db.py verify-soak)."""
    edits = [e for editor in editors for e in editor.edits]
    edits_file = logs / "soak-edits.json"
    edits_file.write_text(
        json.dumps({"prefix": prefix, "edits": edits, "pool": plan["editor_pool"]})
    )
    verified = helper(env, db, "verify-soak", "--edits", str(edits_file))
    return {
        "editors": len(editors),
        "edit_attempts": sum(len(e.edits) + e.conflicts + len(e.refused) for e in editors),
        "edits_saved": len(edits),
        "refused_as_conflicts": sum(e.conflicts for e in editors),
        "refused_otherwise": [r for e in editors for r in e.refused],
        "editor_failures": sum(e.failures for e in editors),
        "check": verified,
    }


def evaluate(result, recorder, mode):
    """Add the figures per page type and overall, the errors, the logins and the goals to
    `result`."""
    phase = result["busy"]["phase"]
    rows, overall = kinds_table(recorder, "A", phase, result["busy"]["seconds"])
    errors_total = len(recorder.errors())
    five_xx = sum(
        1 for s in recorder.samples if s[4] is not None and s[4] >= HTTPStatus.INTERNAL_SERVER_ERROR
    )
    result["page_types"], result["overall"] = rows, overall
    result["errors"] = {"total": errors_total, "5xx": five_xx, "first": error_summary(recorder)}
    result["login"] = summarise([s for s in recorder.samples if s[1] == "login"])
    cache = recorder.cache.get(phase, {"hit": 0, "miss": 0, "joined": 0})
    asked = sum(cache.values())
    result["report_cache"] = {
        **cache,
        "hit_rate": round(cache["hit"] / asked, 3) if asked else None,
    }
    result["goals"] = goals_of(result, mode)


def goals_of(result, mode):
    """No errors, every browsing page type within the ratio goal, the report downloads of
    the busy phase served from the cache, and the history consistent with the edits."""
    overall = result["overall"]
    goals = {
        "no_errors": result["errors"]["total"] == 0,
        "ratio_at_most_5": overall["ratio_worst_page_type"] is not None
        and overall["ratio_worst_page_type"] <= RATIO_GOAL
        and (overall["ratio_overall"] or 0) <= RATIO_GOAL,
    }
    rate = result["report_cache"]["hit_rate"]
    goals["report_cache_hits_at_least_95"] = rate is not None and rate >= CACHE_HIT_GOAL
    if "soak" in result:
        goals["edits_consistent"] = bool(
            result["soak"]["check"]["ok"]
            and not result["soak"]["refused_otherwise"]
            and result["soak"]["edits_saved"] > 0
            and result["soak"]["check"]["history_rows_with_soak_reasons"]
            == result["soak"]["edits_saved"]
        )
    return goals


def report_cache_line(result, phase):
    cache = result["report_cache"]
    rate = "n/a" if cache["hit_rate"] is None else f"{100 * cache['hit_rate']:.1f} %"
    return (
        f"Report cache ({phase}): {cache['hit']} hits, {cache['miss']} rendered on request, "
        f"{cache['joined']} joined a render under way; hit rate {rate} (goal >= 95 %)"
    )


def summary_lines(args, result, negotiators):
    """The text summary of a run, from its result."""
    info, phase = result["machine"], result["busy"]["phase"]
    timings = result["database"]["build_seconds"]
    think_min, think_max = result["settings"]["think_seconds"]
    overall = result["overall"]
    lines = [
        f"{'Load' if args.mode == 'load' else 'Soak'} test, {result['when']}",
        f"Machine: {info['nproc']} cores, {info['ram_gib']} GiB RAM, {info['cpu_model']}, "
        f"load average at start {info['load_average_at_start']}",
        f"Database {args.db}: {result['database']['mappings']['mappings']:,} mappings; build "
        + (", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in timings.items())),
        f"gunicorn workers {result['settings']['gunicorn_workers']}, users {args.users} "
        f"({negotiators} negotiators), think {think_min:g}-{think_max:g} s, "
        f"phase {phase} {result['busy']['seconds']} s",
        "",
        *text_table(result["page_types"], overall, "A", phase),
        "",
        f"Throughput ({phase}): {overall['busy_all'].get('per_second')} requests/s, "
        f"{overall['busy_all']['requests']} requests",
        f"Logins: {result['login']['requests']} requests, p50 {result['login']['p50_ms']} ms",
        f"CPU during phase {phase}: "
        + ", ".join(f"{k} {v}" for k, v in result["busy"]["cpu"].items()),
        f"gunicorn RSS: {result['busy']['gunicorn_rss_mb']} MB",
        report_cache_line(result, phase),
        *background_pdf_lines(result),
    ]
    if "soak" in result:
        lines += soak_lines(result)
    errors = result["errors"]
    lines += [
        "",
        f"Errors: {errors['total']} (5xx: {errors['5xx']})",
        *[f"  {n} × {text}" for text, n in errors["first"].items()],
        "Goals: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["goals"].items()),
    ]
    return lines


def background_pdf_lines(result):
    """Each background PDF of the idle and the busy phase: its time to download."""
    lines = []
    for label, figures in (("idle", result["idle"]), (result["busy"]["phase"], result["busy"])):
        for item in figures["background_pdf"]:
            took = (
                "not ready by the end of the phase"
                if item["seconds"] is None
                else f"{item['seconds']} s from request to download"
            )
            lines.append(f"Background PDF ({label}): {item['mappings']} mappings, {took}")
    return lines


def soak_lines(result):
    """The soak's edits, the history check and the browsing p95 per minute."""
    soak = result["soak"]
    check = soak["check"]
    return [
        "",
        f"Edits through the admin form: {soak['edit_attempts']} attempts, "
        f"{soak['edits_saved']} saved, {soak['refused_as_conflicts']} refused as conflicts "
        f"(editor told why), {len(soak['refused_otherwise'])} refused otherwise, "
        f"{soak['editor_failures']} failed requests",
        f"History rows with the soak's reasons: {check['history_rows_with_soak_reasons']} "
        f"(edits saved {soak['edits_saved']}); rows without a reason: "
        f"{check['history_rows_without_reason']}; lost updates: {check['lost_updates']}; "
        f"final status mismatches: {check['final_status_mismatches']}",
        *[f"  problem: {p}" for p in check["problems"][:10]],
        "Browse p95 per minute: "
        + ", ".join(f"{w['p95_ms']:.0f}" for w in result["busy"]["browse_per_minute"]),
    ]


def main():
    args = parse_args()
    exclude_page_types(args.exclude)
    seconds = args.seconds or (120 if args.mode == "load" else 600)
    idle_requests = args.idle_requests if args.idle_requests is not None else 10
    if args.mode == "soak" and args.idle_requests is None:
        idle_requests = 5
    think_min, think_max = (float(v) for v in args.think.split("-"))
    if not args.db.startswith("portal_load"):
        raise SystemExit("the load-test database's name must start with portal_load")

    info = machine()
    print(
        f"Machine: {info['nproc']} cores ({info['cpus_usable']} usable), {info['ram_gib']} GiB "
        f"RAM, {info['cpu_model']}; load average {info['load_average_at_start']}"
    )
    logs = ROOT / "var" / "loadtest"
    logs.mkdir(parents=True, exist_ok=True)
    env = server_env(args.db, logs)

    print(f"Database {args.db}:")
    timings = prepare_database(args.db, env, args.rebuild)
    accounts = helper(env, args.db, "accounts")
    plan = helper(
        env, args.db, "plan", "--seed", str(args.seed), "--clear-reports",
        "--editor-pool", str(args.editor_pool),
    )  # fmt: skip
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env, "collectstatic")

    stop = threading.Event()
    servers = Servers(env, logs)
    stop_on_signals(stop)
    recorder = Recorder()
    port = free_port()
    result = {
        "mode": args.mode,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "database": {"name": args.db, "mappings": plan["counts"], "build_seconds": timings},
        "settings": {
            "users": args.users,
            "busy_seconds": seconds,
            "idle_requests_per_type": idle_requests,
            "think_seconds": [think_min, think_max],
            "web_concurrency": os.environ.get("WEB_CONCURRENCY", "default"),
            "excluded_page_types": [k for k in args.exclude.split(",") if k],
        },
    }
    try:
        servers.start(port)
        print(f"Servers on http://{HOST}:{port}/ (logs in var/loadtest/)")
        wait_until_ready(servers, port)
        result["prerender"] = wait_for_prerender(env, args.db, logs, plan, stop)
        print(
            f"  working set pre-rendered: {result['prerender']['done']} of "
            f"{result['prerender']['of']} reports in {result['prerender']['seconds']} s"
        )
        workers = len(children(servers.procs["gunicorn"][0].pid))
        result["settings"]["gunicorn_workers"] = workers
        print(f"  gunicorn workers: {workers}")

        rng = random.Random(args.seed)
        scenario = Scenario(plan, rng)
        warm_up(port, recorder, scenario, accounts, workers, stop)
        print(f"Phase A: one user, {idle_requests} requests per page type, sequential")
        meter = CpuMeter(servers)
        meter.start()
        idle_seconds, idle_background = phase_a(
            port, recorder, scenario, accounts, idle_requests, stop,
            1 if args.mode == "load" else 0,
        )  # fmt: skip
        result["idle"] = {
            "seconds": round(idle_seconds, 1),
            "cpu": meter.stop(),
            "background_pdf": idle_background,
        }

        negotiators = args.negotiators if args.negotiators is not None else max(1, args.users // 4)
        ctx = Context(
            port=port,
            recorder=recorder,
            plan=plan,
            accounts=accounts,
            seed=args.seed,
            stop=threading.Event(),
            seconds=seconds,
            deadline=time.time() + seconds + 300,
            think_min=think_min,
            think_max=think_max,
            budget=args.max_requests,
            big_pool=scenario.big,
            big_lock=scenario.big_lock,
            big_left=args.big_pdfs,
            next_big_at=time.time() + 10,
            big_every=max(30, seconds // max(1, 2 * args.big_pdfs)),
        )
        editors, prefix = [], None
        if args.editors is None:
            args.editors = EDITORS[args.mode]
        if args.editors:
            editors, prefix = start_editors(args.editors, ctx, plan)
        phase = "B" if args.mode == "load" else "soak"
        print(
            f"Phase {phase}: {args.users} users ({negotiators} negotiators) for {seconds} s, "
            f"think time {think_min:g}-{think_max:g} s"
            + (f", {len(editors)} editors in the admin" if editors else "")
        )
        rss_start = {"gunicorn": rss_mb(servers.pids("gunicorn"))}
        meter.start()
        busy_seconds = concurrent_phase(ctx, args.users, negotiators, phase)
        for editor in editors:
            editor.join(timeout=REQUEST_TIMEOUT + 5)
        result["busy"] = {
            "phase": phase,
            "seconds": round(busy_seconds, 1),
            "cpu": meter.stop(),
            "gunicorn_rss_mb": {
                **{"start": rss_start["gunicorn"]},
                "end": rss_mb(servers.pids("gunicorn")),
            },
            "background_pdf": ctx.background,
        }
        result["busy"]["browse_per_minute"] = windows(recorder, phase)
        if editors:
            result["soak"] = soak_check(editors, prefix, plan, env, args.db, logs)
    except KeyboardInterrupt:
        print("Interrupted: stopping the servers")
        stop.set()
        servers.stop()
        return 2
    finally:
        if servers.procs:
            print("Stopping the servers")
            servers.stop()

    evaluate(result, recorder, args.mode)
    lines = summary_lines(args, result, negotiators)
    print()
    print("\n".join(lines))
    write_results("loadtest" if args.mode == "load" else "soak", result, lines)
    return 0 if all(result["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
