"""Rendered report files: the cache of repeat downloads, the queue of large PDFs for the
worker, and serving a finished file.

A ReportFile is keyed by the data version, the selection and the format
(fingerprint.cache_key), so any edit makes a new key and a file is never served for data
it does not show.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone

from standards.models import IssuedReport, ReportDemand, ReportFile
from standards.reports.fingerprint import cache_key, version_of
from standards.reports.render import produce

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PENDING = (ReportFile.Status.QUEUED, ReportFile.Status.RUNNING)
# A render in a web request that has not finished after this long was abandoned (its
# process ended): the next request renders the report again.
ABANDONED_AFTER = datetime.timedelta(minutes=10)


class TooLarge(Exception):
    """The selection holds more mappings than a report may."""

    def __init__(self, count):
        super().__init__(count)
        self.count = count


def check_size(selection):
    """The number of mappings the selection holds; TooLarge beyond the limit."""
    count = selection.count()
    if count > settings.REPORT_MAX_MAPPINGS:
        raise TooLarge(count)
    return count


def report_file_for(selection, fmt, user):
    """The ReportFile of this selection and format with today's data: a finished one from
    the cache, one queued for the worker (large PDFs, or a pre-render), or one rendered
    now. Renders are single-flight per cache key: the request that claims the key renders
    it, requests arriving meanwhile get the pending record. A failed or abandoned render
    is tried again. The download is counted (ReportDemand), so that the worker renders it
    again after the next edit. Raises TooLarge."""
    version, as_of = version_of(selection)
    key = cache_key(version, selection, fmt)
    if selection.baseline is None:
        note_demand(selection, fmt)
    existing = usable(key)
    if existing is not None:
        existing.cache_hit = existing.status == ReportFile.Status.DONE
        return existing
    count = check_size(selection)
    background = fmt == "pdf" and count > settings.REPORT_BACKGROUND_THRESHOLD
    status = ReportFile.Status.QUEUED if background else ReportFile.Status.RUNNING
    report_file, claimed = claim_new(key, version, selection, fmt, count, status, user)
    if not claimed:
        return report_file
    if background:
        from standards.reports.tasks import render_report

        render_report.enqueue(report_file.pk)
        return report_file
    return _render_now(report_file, selection, as_of)


def usable(key):
    """The ReportFile of `key` that a request can use: finished, or being rendered (to
    join); None when there is none, after deleting a failed or abandoned one."""
    existing = ReportFile.objects.filter(key=key).first()
    if existing is None:
        return None
    if existing.status == ReportFile.Status.DONE or (
        existing.status in PENDING and not _abandoned(existing)
    ):
        return existing
    ReportFile.objects.filter(pk=existing.pk, status=existing.status).delete()
    return None


def demand_key(selection_query, fmt):
    return hashlib.sha256(f"{fmt}|{selection_query}".encode()).hexdigest()


def note_demand(selection, fmt):
    """Count a download of this selection and format (ReportDemand): two statements at
    most, and no error when two requests note the same one at once."""
    query, now = selection.query_string(), timezone.now()
    key = demand_key(query, fmt)
    if not ReportDemand.objects.filter(key=key).update(
        requests=F("requests") + 1, last_requested_at=now
    ):
        ReportDemand.objects.bulk_create(
            [ReportDemand(key=key, fmt=fmt, selection=query, requests=1, last_requested_at=now)],
            ignore_conflicts=True,
        )


def _abandoned(report_file):
    """A render of a web request (not queued for the worker) that never finished."""
    return (
        report_file.status == ReportFile.Status.RUNNING
        and report_file.mapping_count <= settings.REPORT_BACKGROUND_THRESHOLD
        and report_file.created_at < timezone.now() - ABANDONED_AFTER
    )


def claim_new(key, version, selection, fmt, count, status, user=None):
    """claim() a new ReportFile of this key for the selection's render."""
    return claim(
        ReportFile(
            key=key,
            version=version,
            fmt=fmt,
            selection=selection.query_string(),
            mapping_count=count,
            requested_by=user,
            status=status,
        )
    )


def claim(report_file):
    """(record, claimed): the new record when this request created it, else the one
    another request created for the same key at the same moment."""
    try:
        with transaction.atomic():
            report_file.save()
    except IntegrityError:
        return ReportFile.objects.get(key=report_file.key), False
    return report_file, True


def _render_now(report_file, selection, as_of):
    try:
        content, fingerprint, count = produce(selection, report_file.fmt, as_of)
    except Exception as exc:
        failed(report_file.pk, exc)
        raise
    finish(report_file, content, fingerprint, count, as_of)
    return report_file


def failed(report_file_id, exc):
    ReportFile.objects.filter(pk=report_file_id).update(
        status=ReportFile.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
    )


def finish(report_file, content, fingerprint, count, as_of):
    """Store a rendered file (`report_file` updated in place) and keep its fingerprint."""
    report_file.content, report_file.fingerprint, report_file.mapping_count = (
        content,
        fingerprint,
        count,
    )
    report_file.status = ReportFile.Status.DONE
    report_file.finished_at = timezone.now()
    report_file.size = len(content)
    ReportFile.objects.filter(pk=report_file.pk).update(
        content=content,
        fingerprint=fingerprint,
        mapping_count=count,
        status=report_file.status,
        finished_at=report_file.finished_at,
        size=report_file.size,
    )
    record_issued(fingerprint, report_file.selection, as_of)


def record_issued(fingerprint, selection_query, as_of):
    """Keep the fingerprint a report carries, with the data version it describes
    (IssuedReport), once: /reports/verify/ reads it back. One statement, which leaves a
    fingerprint already kept as it is (INSERT … ON CONFLICT DO NOTHING)."""
    IssuedReport.objects.bulk_create(
        [IssuedReport(fingerprint=fingerprint, selection=selection_query, as_of=as_of)],
        ignore_conflicts=True,
    )


def serve(report_file):
    """The download of a finished report file (its last download noted for the cache's
    retention policy)."""
    ReportFile.objects.filter(pk=report_file.pk).update(last_served_at=timezone.now())
    response = HttpResponse(bytes(report_file.content), content_type=CONTENT_TYPES[report_file.fmt])
    name = f"gap-report-{report_file.fingerprint[:12]}.{report_file.fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Fingerprint"] = report_file.fingerprint
    # Whether the file was already rendered when asked for (the load test's hit rate).
    response["X-Report-Cache"] = "hit" if getattr(report_file, "cache_hit", False) else "miss"
    return response
