"""Gunicorn settings for production, read from the environment (`make serve` uses them).

HOST, PORT            address to listen on (default 127.0.0.1:8000)
WEB_CONCURRENCY       worker processes (default 2 × CPU cores + 1, at most 8)
WEB_MAX_REQUESTS      requests a worker serves before it is replaced (default 1000)
"""

import os


def _positive_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a positive integer, not {value!r}")
    return int(value)


wsgi_app = "portal.wsgi:application"
bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{_positive_int('PORT', 8000)}"]
# Each worker renders PDFs of up to REPORT_BACKGROUND_THRESHOLD mappings in the request,
# which takes memory; more than 8 rarely pays on one machine.
workers = _positive_int("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8))
# One thread per worker process. PDFs are drawn in each worker's render child, one at a
# time (standards/reports/render_process.py), never in the worker itself.
worker_class = "sync"
threads = 1
# A PDF of 300 mappings (the background threshold) takes about 20 s to render.
timeout = 120
graceful_timeout = 30
# Replace each worker after a bounded number of requests, staggered so that they do not all
# restart at once (the render child, which holds WeasyPrint's memory, is replaced on its
# own after REPORT_RENDERS_PER_PROCESS renders).
max_requests = _positive_int("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = max(max_requests // 10, 1)
# Access log and errors to stdout/stderr, for the service manager to collect.
accesslog = "-"
errorlog = "-"
# Gunicorn's runtime control socket is not used.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
