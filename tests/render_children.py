"""Render children that misbehave, for tests/test_render_process.py. A spawned child
imports this module before Django is set up, so it imports nothing of the project's
models."""

import os
from pathlib import Path

from standards.reports import render_process


def crash_on_first_job(conn, settings_module, idle_seconds):
    """A render child that dies during its first render (a heap corruption, say)."""
    marker = Path(os.environ["RENDER_CRASH_MARKER"])
    if not marker.exists():
        marker.touch()
        conn.recv()
        os._exit(134)
    render_process._child_main(conn, settings_module, idle_seconds)


def crash_on_every_job(conn, settings_module, idle_seconds):
    conn.recv()
    os._exit(134)


def answer_with_pid(conn, settings_module, idle_seconds):
    """A helper that answers every call with its process id, slowly enough that the
    requesting process takes a share of the calls too."""
    import time

    while conn.poll(idle_seconds):
        job = conn.recv()
        if job is None:
            break
        time.sleep(0.2)
        conn.send(("ok", os.getpid(), 0.0))
