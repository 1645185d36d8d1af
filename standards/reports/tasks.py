"""Background work, run by `manage.py report_worker` (django-tasks, database backend)."""

from django.http import QueryDict
from django.utils import timezone
from django_tasks import task

from standards.models import ReportFile
from standards.reports.files import record_issued
from standards.reports.fingerprint import version_of
from standards.reports.render import produce
from standards.reports.selection import selection_from


@task()
def render_report(report_file_id):
    """Render a large PDF report that a request queued, and store it for download."""
    report_file = ReportFile.objects.filter(pk=report_file_id).first()
    if report_file is None or report_file.status == ReportFile.Status.DONE:
        return
    ReportFile.objects.filter(pk=report_file.pk).update(status=ReportFile.Status.RUNNING)
    try:
        _form, selection = selection_from(QueryDict(report_file.selection))
        _version, as_of = version_of(selection)
        content, fingerprint, count = produce(selection, report_file.fmt, as_of)
    except Exception as exc:
        ReportFile.objects.filter(pk=report_file.pk).update(
            status=ReportFile.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ReportFile.objects.filter(pk=report_file.pk).update(
        status=ReportFile.Status.DONE,
        content=content,
        fingerprint=fingerprint,
        mapping_count=count,
        finished_at=timezone.now(),
    )
    record_issued(fingerprint, report_file.selection, as_of)
