"""Rendered report files: the cache of repeat downloads, the queue of large PDFs for the
worker, and serving a finished file.

A ReportFile is keyed by the data version, the selection and the format
(fingerprint.cache_key), so any edit makes a new key and a file is never served for data
it does not show.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from standards.models import IssuedReport, ReportFile
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
    the cache, one queued for the worker (large PDFs), or one rendered now. Renders are
    single-flight per cache key: the request that claims the key renders it, requests
    arriving meanwhile get the pending record. A failed or abandoned render is tried
    again. Raises TooLarge."""
    version, as_of = version_of(selection)
    key = cache_key(version, selection, fmt)
    existing = ReportFile.objects.filter(key=key).first()
    if existing is not None:
        if existing.status == ReportFile.Status.DONE or (
            existing.status in PENDING and not _abandoned(existing)
        ):
            return existing
        ReportFile.objects.filter(pk=existing.pk, status=existing.status).delete()
    count = check_size(selection)
    background = fmt == "pdf" and count > settings.REPORT_BACKGROUND_THRESHOLD
    report_file, claimed = _claim(
        ReportFile(
            key=key,
            fmt=fmt,
            selection=selection.query_string(),
            mapping_count=count,
            requested_by=user,
            status=ReportFile.Status.QUEUED if background else ReportFile.Status.RUNNING,
        )
    )
    if not claimed:
        return report_file
    if background:
        from standards.reports.tasks import render_report

        render_report.enqueue(report_file.pk)
        return report_file
    return _render_now(report_file, selection, as_of)


def _abandoned(report_file):
    """A render of a web request (not queued for the worker) that never finished."""
    return (
        report_file.status == ReportFile.Status.RUNNING
        and report_file.mapping_count <= settings.REPORT_BACKGROUND_THRESHOLD
        and report_file.created_at < timezone.now() - ABANDONED_AFTER
    )


def _claim(report_file):
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
        ReportFile.objects.filter(pk=report_file.pk).update(
            status=ReportFile.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    report_file.content, report_file.fingerprint, report_file.mapping_count = (
        content,
        fingerprint,
        count,
    )
    report_file.status = ReportFile.Status.DONE
    report_file.finished_at = timezone.now()
    report_file.save(
        update_fields=["content", "fingerprint", "mapping_count", "status", "finished_at"]
    )
    record_issued(fingerprint, report_file.selection, as_of)
    return report_file


def record_issued(fingerprint, selection_query, as_of):
    """Keep the fingerprint a report carries, with the data version it describes
    (IssuedReport), once: /reports/verify/ reads it back. One statement, which leaves a
    fingerprint already kept as it is (INSERT … ON CONFLICT DO NOTHING)."""
    IssuedReport.objects.bulk_create(
        [IssuedReport(fingerprint=fingerprint, selection=selection_query, as_of=as_of)],
        ignore_conflicts=True,
    )


def serve(report_file):
    """The download of a finished report file."""
    response = HttpResponse(bytes(report_file.content), content_type=CONTENT_TYPES[report_file.fmt])
    name = f"gap-report-{report_file.fingerprint[:12]}.{report_file.fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Fingerprint"] = report_file.fingerprint
    return response
