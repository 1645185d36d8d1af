"""Work the report worker does now and then from a thread of its own: the heartbeat, the
digests of what users watch, the report cache's upkeep. A failed database call is
logged and tried again at the next interval; the thread's connection is closed after
each run, so a database restart costs one run at most, and the queries it logged with
DEBUG on are forgotten, as Django forgets a request's."""

import logging
import threading

from django.db import DatabaseError, connection, reset_queries

logger = logging.getLogger(__name__)


class Periodic:
    """Runs `run()` when entered (unless `first` is False) and then every `interval`
    seconds in a daemon thread until the context is left; an interval of 0 runs nothing.
    Use as a context manager around the worker loop."""

    name = "periodic"
    failure = "A periodic run failed"

    def __init__(self, interval, first=True):
        self.interval = interval
        self.first = first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def run(self):
        raise NotImplementedError

    def run_safely(self):
        try:
            self.run()
        except DatabaseError:
            logger.warning(self.failure, exc_info=True)

    def _loop(self):
        try:
            while not self._stop.wait(self.interval):
                self.run_safely()
                reset_queries()
                connection.close()
        finally:
            connection.close()

    def __enter__(self):
        if self.interval > 0:
            if self.first:
                self.run_safely()
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)
        return False
