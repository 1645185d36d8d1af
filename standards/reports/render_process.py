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
"""

import atexit
import multiprocessing
import os
import signal
import threading

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


def _child_main(conn, settings_module, idle_seconds):
    """The render process's loop: one job at a time until told to stop, idle for too
    long, or orphaned (the pipe closes when the requesting process ends)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which stops us
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from standards.reports.pdf import write_pdf

    while conn.poll(idle_seconds):
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        try:
            conn.send(("ok", *write_pdf(*job), resident_mb()))
        except Exception as exc:  # the error goes back to the requester, the child lives on
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


def _settings_module():
    # Under override_settings (tests) settings.SETTINGS_MODULE reads None.
    return os.environ.get(ENVIRONMENT_VARIABLE) or settings.SETTINGS_MODULE


class RenderProcess:
    """A requesting process's render child, started on first use."""

    def __init__(self, target=None):
        self._target = target or _child_main
        self._lock = threading.Lock()
        self._process = None
        self._conn = None
        self._owner = None
        self._renders = 0

    @property
    def pid(self):
        """The child's process id, or None when none runs."""
        return self._process.pid if self._running() else None

    def render(self, html, identifier, hashed_files):
        """(PDF bytes, refused URLs). Raises RenderFailed."""
        with self._lock:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    result = self._run((html, identifier, hashed_files))
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
                _ok, content, refused, child_mb = result
                if (
                    self._renders >= settings.REPORT_RENDERS_PER_PROCESS
                    or child_mb > settings.REPORT_RENDER_MAX_MB
                ):
                    self._stop()
                return content, refused
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
        process = context.Process(
            target=self._target,
            args=(theirs, _settings_module(), settings.REPORT_RENDER_IDLE_SECONDS),
            name="pdf-render",
            daemon=True,
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


_renderer = RenderProcess()
atexit.register(_renderer.close)


def render(html, identifier, hashed_files):
    """(PDF bytes, refused URLs) from this process's render child."""
    return _renderer.render(html, identifier, hashed_files)


def child_pid():
    return _renderer.pid
