"""Rendered report files: the cache of repeat downloads, the queue of large PDFs for the
worker, and serving a finished file.

A ReportFile is keyed by the data version, the selection and the format
(fingerprint.cache_key), so any edit makes a new key and a file is never served for data
it does not show.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from standards.models import ReportFile
from standards.reports.fingerprint import cache_key, data_version
from standards.reports.render import produce

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PENDING = (ReportFile.Status.QUEUED, ReportFile.Status.RUNNING)


class TooLarge(Exception):
    """The selection holds more mappings than a report may."""

    def __init__(self, count):
        super().__init__(count)
        self.count = count


def check_size(selection):
    """The number of mappings the selection holds; TooLarge beyond the limit."""
    count = selection.mappings().count()
    if count > settings.REPORT_MAX_MAPPINGS:
        raise TooLarge(count)
    return count


def report_file_for(selection, fmt, user):
    """The ReportFile of this selection and format with today's data: a finished one from
    the cache, one queued for the worker (large PDFs), or one rendered now. A failed
    render is tried again. Raises TooLarge."""
    version, as_of = data_version()
    key = cache_key(version, selection, fmt)
    existing = ReportFile.objects.filter(key=key).first()
    if existing is not None:
        if existing.status == ReportFile.Status.DONE or existing.status in PENDING:
            return existing
        existing.delete()
    count = check_size(selection)
    report_file = ReportFile(
        key=key, fmt=fmt, selection=selection.query_string(), mapping_count=count, requested_by=user
    )
    if fmt == "pdf" and count > settings.REPORT_BACKGROUND_THRESHOLD:
        from standards.reports.tasks import render_report

        report_file.save()
        render_report.enqueue(report_file.pk)
        return report_file
    report_file.content, report_file.fingerprint, report_file.mapping_count = produce(
        selection, fmt, as_of
    )
    report_file.status = ReportFile.Status.DONE
    report_file.finished_at = timezone.now()
    report_file.save()
    return report_file


def serve(report_file):
    """The download of a finished report file."""
    response = HttpResponse(bytes(report_file.content), content_type=CONTENT_TYPES[report_file.fmt])
    name = f"gap-report-{report_file.fingerprint[:12]}.{report_file.fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Fingerprint"] = report_file.fingerprint
    return response
