"""The render process: every PDF is drawn in a child process, one at a time.

Pango and HarfBuzz, under WeasyPrint, are not safe to use from several threads at once:
concurrent renders in one process corrupt the heap ("corrupted double-linked list",
"realloc(): invalid next size") and crash the server. And a process that has rendered
keeps the memory it took (about 120 MB after the first render of the reference report,
then about 2 MB more a render). So no web process and no report worker renders itself:
each hands the HTML to its own render process, through a pipe, under a lock.

- One render at a time per requesting process: the lock, and a child with one thread.
- Memory bounded: the child is replaced after REPORT_RENDERS_PER_PROCESS renders or as
  soon as it holds more than REPORT_RENDER_MAX_MB after one (a PDF of 1,000 mappings
  takes about 1 GB), and ends after REPORT_RENDER_IDLE_SECONDS without work; the
  requesting process never loads WeasyPrint at all.
- Time bounded: a render that takes longer than REPORT_RENDER_TIMEOUT seconds is killed.
- A crash stays in the child: the requester starts a new child and tries once more, then
  raises RenderFailed, which the views answer with 503 "try again".

The child is started with `spawn` (a fresh interpreter, not a fork of a threaded server)
and sets Django up from the same settings module.

A long report is drawn in sections (standards.reports.pdf.write_sections): the child
starts REPORT_RENDER_HELPERS helper processes of its own, warm from its start, and
`in_parallel` spreads the sections over the child and its helpers. A helper is a render
child too (the same loop, one thread, its memory bounded the same way), started by the
child; it starts no helpers itself.
"""

import atexit
import contextlib
import multiprocessing
import multiprocessing.util  # its exit handler is registered first: see _renderer below
import os
import signal
import threading
from collections import deque

from django.conf import ENVIRONMENT_VARIABLE, settings

# A render whose child dies is tried once more in a new child.
ATTEMPTS = 2


class RenderFailed(Exception):
    """The render process could not produce the PDF (it crashed or took too long)."""


def resident_mb():
    """This process's resident memory (VmRSS) in MB, 0 where /proc is not there."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _child_main(conn, settings_module, idle_seconds, helpers=0):
    """The render process's loop: one job at a time until told to stop, idle for too
    long, or orphaned (the pipe closes when the requesting process ends). A job is
    (name of a function of standards.reports.pdf, arguments)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which stops us
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    # The helpers start first, so that they set up alongside this process, not after it.
    _start_helpers(helpers)
    import django

    django.setup()
    from standards.reports import pdf

    while conn.poll(idle_seconds):
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        name, args = job
        try:
            conn.send(("ok", getattr(pdf, name)(*args), resident_mb()))
        except Exception as exc:  # the error goes back to the requester, the child lives on
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    for helper in _helpers:
        helper.close()
    conn.close()


# The render child's helpers (none in any other process).
_helpers = []


def _start_helpers(count):
    """Start `count` helpers, each warmed up (Django, WeasyPrint, the fonts) in a thread
    of its own while this process goes on."""
    for _ in range(count):
        helper = RenderProcess(max_calls=None)
        _helpers.append(helper)
        threading.Thread(target=_warm, args=(helper,), daemon=True).start()


def _warm(helper):
    with contextlib.suppress(RenderFailed):  # the helper's next job starts a new one
        helper.call("warm")


def in_parallel(calls):
    """The results of [(name of a function of standards.reports.pdf, arguments)], in
    order, each run in this process or in one of its helpers, as many at a time as there
    are helpers plus one. A helper that fails hands its call back; this process then runs
    it itself, so an error raised here is the call's own."""
    from standards.reports import pdf

    results = [None] * len(calls)
    queue = deque(enumerate(calls))
    lock = threading.Lock()

    def take(first):
        with lock:
            if not queue:
                return None
            return queue.popleft() if first else queue.pop()

    def helper_loop(helper):
        while (item := take(first=True)) is not None:
            index, (name, args) = item
            try:
                results[index] = helper.call(name, *args)
            except RenderFailed:
                with lock:
                    queue.appendleft(item)
                return

    threads = [threading.Thread(target=helper_loop, args=(h,), daemon=True) for h in _helpers]
    for thread in threads:
        thread.start()
    while (item := take(first=False)) is not None:
        index, (name, args) = item
        results[index] = getattr(pdf, name)(*args)
    for thread in threads:
        thread.join()
    # A helper that failed on the last call handed it back after this process had
    # finished its own share.
    while (item := take(first=False)) is not None:
        index, (name, args) = item
        results[index] = getattr(pdf, name)(*args)
    return results


def _settings_module():
    # Under override_settings (tests) settings.SETTINGS_MODULE reads None.
    return os.environ.get(ENVIRONMENT_VARIABLE) or settings.SETTINGS_MODULE


class RenderProcess:
    """A requesting process's render child, started on first use.

    `helpers`: the number of helpers the child starts (REPORT_RENDER_HELPERS when None).
    `max_calls`: the child is replaced after this many calls (REPORT_RENDERS_PER_PROCESS
    when 0; never for None, as a helper, which draws one section a call)."""

    def __init__(self, target=None, helpers=0, max_calls=0):
        self._target = target or _child_main
        self._helpers = helpers
        self._max_calls = max_calls
        self._lock = threading.Lock()
        self._process = None
        self._conn = None
        self._owner = None
        self._renders = 0

    @property
    def pid(self):
        """The child's process id, or None when none runs."""
        return self._process.pid if self._running() else None

    def start(self):
        """Start the child now if it is not running (and no render holds it), so that it
        sets up while the caller prepares the document."""
        if self._lock.acquire(blocking=False):
            try:
                if not self._running():
                    self._start()
            finally:
                self._lock.release()

    def render(self, html, identifier, hashed_files):
        """(PDF bytes, refused URLs). Raises RenderFailed."""
        return self.call("write_pdf", html, identifier, hashed_files)

    def call(self, name, *args):
        """The result of standards.reports.pdf.<name>(*args), run in the child. Raises
        RenderFailed."""
        with self._lock:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    result = self._run((name, args))
                except (EOFError, OSError) as exc:
                    # The child ended mid-render (a crash, or it stopped for idling just
                    # as the job arrived): a new child tries once more.
                    self._stop(kill=True)
                    if attempt == ATTEMPTS:
                        raise RenderFailed("the render process ended during the render") from exc
                    continue
                self._renders += 1
                if result[0] == "error":
                    raise RenderFailed(result[1])
                _ok, value, child_mb = result
                max_calls = self._max_calls or settings.REPORT_RENDERS_PER_PROCESS
                if (
                    self._max_calls is not None and self._renders >= max_calls
                ) or child_mb > settings.REPORT_RENDER_MAX_MB:
                    self._stop()
                return value
        raise AssertionError("unreachable")

    def _run(self, job):
        if not self._running():
            self._start()
        self._conn.send(job)
        if not self._conn.poll(settings.REPORT_RENDER_TIMEOUT):
            self._stop(kill=True)
            raise RenderFailed(
                f"the render took longer than {settings.REPORT_RENDER_TIMEOUT} seconds"
            )
        return self._conn.recv()

    def _running(self):
        # A child inherited through a fork belongs to the parent process, not to us.
        return self._process is not None and self._owner == os.getpid() and self._process.is_alive()

    def _start(self):
        self._stop(kill=True)
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        args = (theirs, _settings_module(), settings.REPORT_RENDER_IDLE_SECONDS)
        helpers = settings.REPORT_RENDER_HELPERS if self._helpers is None else self._helpers
        process = context.Process(
            target=self._target,
            args=args + ((helpers,) if helpers else ()),
            name="pdf-render",
            # A process with helpers is not a daemon (daemons may not start processes);
            # it ends when told to, or when the pipe closes as the requesting process ends.
            daemon=not helpers,
        )
        process.start()
        theirs.close()
        self._process, self._conn, self._owner, self._renders = process, ours, os.getpid(), 0

    def _stop(self, kill=False):
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None or self._owner != os.getpid():
            return
        if not kill and process.is_alive():
            try:
                conn.send(None)
            except OSError:
                kill = True
        conn.close()
        process.join(timeout=0 if kill else 5)
        if process.is_alive():
            process.kill()
            process.join()

    def close(self):
        with self._lock:
            self._stop()


_renderer = RenderProcess(helpers=None)
# Registered after multiprocessing's own exit handler, so it runs before it: the child,
# not a daemon when it has helpers, is told to stop before multiprocessing waits for it.
atexit.register(_renderer.close)


def start():
    """Start this process's render child ahead of a render (RenderProcess.start)."""
    _renderer.start()


def render(html, identifier, hashed_files):
    """(PDF bytes, refused URLs) from this process's render child."""
    return _renderer.render(html, identifier, hashed_files)


def render_sections(sections, identifier, hashed_files):
    """(PDF bytes, refused URLs) of a report drawn in sections (pdf.write_sections)."""
    return _renderer.call("write_sections", sections, identifier, hashed_files)


def child_pid():
    return _renderer.pid
