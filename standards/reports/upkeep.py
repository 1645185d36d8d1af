"""The report cache's upkeep, run by the report worker: pre-rendering and retention.

A report file is keyed by the version of the records its selection shows
(fingerprint.selection_version): an edit makes a new version for the selections whose
records it touches, and leaves the others' files current.

Pre-rendering. After an edit the worker renders again the reports people download, so
that the next download is a cache hit: every selection and format downloaded in the last
REPORT_DEMAND_DAYS (ReportDemand, noted by files.report_file_for), most downloaded
first, then the standard set (each product group, gaps only and everything, in each
report language, as PDF). A burst of edits is one pass: the pass starts once the whole
data version has stayed the same for REPORT_PRERENDER_QUIET_SECONDS, or, while edits go
on without such a pause, REPORT_PRERENDER_MAX_WAIT_SECONDS after the first edit it has
not rendered yet; it queues only the
reports that have no file of their selection's current version. Each is queued as a
ReportFile of that version, so a request for it meanwhile joins it (files.usable)
instead of starting a second render.

Retention. Kept: files being rendered, and every file of its selection's current
version. Dropped: failed renders and superseded files (or files of a baseline's
selection nobody downloaded in REPORT_DEMAND_DAYS) once REPORT_CACHE_GRACE_SECONDS have
passed since they were rendered, so that a download page opened before an edit still
works for a while. Then, while the cache holds more than REPORT_CACHE_MAX_MB, the least
recently downloaded files go, the standard set last.
"""

import datetime
import logging
import time

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import QueryDict
from django.utils import timezone

from health.periodic import Periodic
from standards.models import ClauseMapping, ReportDemand, ReportFile
from standards.reports.files import PENDING, TooLarge, check_size, claim_new, usable
from standards.reports.fingerprint import cache_key, data_version, version_of
from standards.reports.selection import REPORT_LANGUAGES, selection_from

logger = logging.getLogger(__name__)

# How often the retention policy runs, at most (seconds).
RETENTION_EVERY = 60


def standard_set():
    """The query strings of the standard PDFs: each product group, gaps only and
    everything, in each report language (canonical, as Selection writes them)."""
    queries = []
    for product in ClauseMapping.ProductGroup.values:
        for gaps in ("1", "0"):
            for lang, _name in REPORT_LANGUAGES:
                query = QueryDict(mutable=True)
                query.update({"product": product, "gaps": gaps, "lang": lang})
                _form, selection = selection_from(query)
                queries.append(selection.query_string())
    return [(query, "pdf") for query in queries]


def wanted(now=None):
    """[(selection query, format)] to keep rendered, in the order to render them: those
    downloaded in the last REPORT_DEMAND_DAYS, most downloaded first, then the rest of
    the standard set."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.REPORT_DEMAND_DAYS)
    demanded = [
        (demand.selection, demand.fmt)
        for demand in ReportDemand.objects.filter(last_requested_at__gte=since).order_by(
            "-requests", "-last_requested_at", "key"
        )
    ]
    seen = set(demanded)
    return demanded + [item for item in standard_set() if item not in seen]


def prerender(now=None):
    """Queue a render of every wanted report that the current data version has no file
    (finished or pending) for. Returns how many were queued."""
    from standards.reports.tasks import render_report

    queued = 0
    for query, fmt in wanted(now):
        _form, selection = selection_from(QueryDict(query))
        if selection is None or selection.baseline is not None:
            continue  # a selection no longer valid (a document removed), or as of a baseline
        version, _as_of = version_of(selection)
        key = cache_key(version, selection, fmt)
        if usable(key) is not None:
            continue
        try:
            count = check_size(selection)
        except TooLarge:
            continue
        report_file, claimed = claim_new(
            key, version, selection, fmt, count, ReportFile.Status.QUEUED
        )
        if claimed:
            render_report.enqueue(report_file.pk)
            queued += 1
    return queued


def _standard_keys():
    keys = set()
    for query, fmt in standard_set():
        _form, selection = selection_from(QueryDict(query))
        keys.add(cache_key(version_of(selection)[0], selection, fmt))
    return keys


def superseded(files):
    """The ids of `files` (today's, not as of a baseline) whose version is no longer the
    version of their selection's records, or whose selection is no longer valid: one
    version per distinct selection."""
    current, ids = {}, []
    for pk, query, version in files.exclude(version__startswith="baseline:").values_list(
        "pk", "selection", "version"
    ):
        if query not in current:
            _form, selection = selection_from(QueryDict(query))
            current[query] = None if selection is None else version_of(selection)[0]
        if version != current[query]:
            ids.append(pk)
    return ids


def retain(now=None):
    """Apply the retention policy; returns {"dropped": files, "freed": bytes}."""
    now = now or timezone.now()
    grace = now - datetime.timedelta(seconds=settings.REPORT_CACHE_GRACE_SECONDS)
    demand_since = now - datetime.timedelta(days=settings.REPORT_DEMAND_DAYS)
    old = ReportFile.objects.exclude(status__in=PENDING).filter(
        Q(finished_at__lt=grace) | Q(finished_at__isnull=True, created_at__lt=grace)
    )
    stale = old.filter(
        Q(status=ReportFile.Status.FAILED)
        | Q(pk__in=superseded(old))
        | (
            Q(version__startswith="baseline:")
            & (Q(last_served_at__lt=demand_since) | Q(last_served_at__isnull=True))
        )
    )
    dropped = stale.aggregate(n=Count("pk"), size=Sum("size"))
    stale.delete()
    result = {"dropped": dropped["n"] or 0, "freed": dropped["size"] or 0}
    cap = settings.REPORT_CACHE_MAX_MB * 2**20
    done = ReportFile.objects.filter(status=ReportFile.Status.DONE)
    total = done.aggregate(size=Sum("size"))["size"] or 0
    if total > cap:
        standard = _standard_keys()
        candidates = list(
            done.order_by("last_served_at", "finished_at", "pk").values_list("pk", "key", "size")
        )
        # Others before the standard set; within each, least recently downloaded first.
        candidates.sort(key=lambda row: row[1] in standard)
        for pk, _key, size in candidates:
            if total <= cap:
                break
            ReportFile.objects.filter(pk=pk).delete()
            total -= size
            result["dropped"] += 1
            result["freed"] += size
    return result


def cache_state():
    """The cache in figures, for /healthz's details: files and bytes by kind, and the
    policy."""
    outdated = superseded(ReportFile.objects.all())
    files = ReportFile.objects.aggregate(
        files=Count("pk"),
        bytes=Sum("size"),
        current=Count(
            "pk",
            filter=Q(status=ReportFile.Status.DONE)
            & ~Q(pk__in=outdated)
            & ~Q(version__startswith="baseline:"),
        ),
        pending=Count("pk", filter=Q(status__in=PENDING)),
        superseded=Count("pk", filter=Q(pk__in=outdated)),
    )
    return {
        "files": files["files"],
        "megabytes": round((files["bytes"] or 0) / 2**20, 1),
        "current_version_files": files["current"],
        "pending": files["pending"],
        "superseded_files": files["superseded"],
        "policy": {
            "max_megabytes": settings.REPORT_CACHE_MAX_MB,
            "grace_seconds": settings.REPORT_CACHE_GRACE_SECONDS,
            "demand_days": settings.REPORT_DEMAND_DAYS,
            "prerender_quiet_seconds": settings.REPORT_PRERENDER_QUIET_SECONDS,
            "prerender_max_wait_seconds": settings.REPORT_PRERENDER_MAX_WAIT_SECONDS,
        },
    }


class Upkeep(Periodic):
    """The worker's thread for both: every REPORT_UPKEEP_SECONDS it reads the data
    version; a pre-render pass once the version has not changed for the quiet period
    (once per version), or, while edits go on without a pause, once the first edit not
    yet rendered is REPORT_PRERENDER_MAX_WAIT_SECONDS old; the retention policy at most
    every RETENTION_EVERY seconds."""

    name = "report-upkeep"
    failure = "The report cache's upkeep failed"

    def __init__(self, interval=None, clock=time.monotonic):
        super().__init__(settings.REPORT_UPKEEP_SECONDS if interval is None else interval)
        self.clock = clock
        self.seen = self.seen_at = self.rendered = self.unrendered_since = None
        self.retained_at = None

    def run(self):
        now = self.clock()
        version, _as_of = data_version()
        if version != self.seen:
            self.seen, self.seen_at = version, now
        if version != self.rendered and self.unrendered_since is None:
            self.unrendered_since = now
        quiet = now - self.seen_at >= settings.REPORT_PRERENDER_QUIET_SECONDS
        overdue = (
            self.unrendered_since is not None
            and now - self.unrendered_since >= settings.REPORT_PRERENDER_MAX_WAIT_SECONDS
        )
        if (quiet or overdue) and version != self.rendered:
            queued = prerender()
            self.rendered, self.unrendered_since = version, None
            if queued:
                logger.info("Queued %d reports to pre-render", queued)
        if self.retained_at is None or now - self.retained_at >= RETENTION_EVERY:
            self.retained_at = now
            retain()
