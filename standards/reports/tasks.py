"""Background work, run by `manage.py report_worker` (django-tasks, database backend)."""

from django.http import QueryDict
from django_tasks import task

from standards.models import ReportFile
from standards.reports.files import failed, finish
from standards.reports.fingerprint import version_of
from standards.reports.render import produce
from standards.reports.selection import selection_from


@task()
def render_report(report_file_id):
    """Render a report that a request (a large PDF) or the cache's upkeep (a pre-render)
    queued, and store it for download."""
    report_file = ReportFile.objects.filter(pk=report_file_id).defer("content").first()
    if report_file is None or report_file.status == ReportFile.Status.DONE:
        return
    _form, selection = selection_from(QueryDict(report_file.selection))
    version, as_of = version_of(selection)
    if report_file.requested_by_id is None and report_file.version != version:
        # A pre-render overtaken by an edit: the upkeep queues the new version's.
        ReportFile.objects.filter(pk=report_file.pk, status=ReportFile.Status.QUEUED).delete()
        return
    ReportFile.objects.filter(pk=report_file.pk).update(status=ReportFile.Status.RUNNING)
    try:
        content, fingerprint, count = produce(selection, report_file.fmt, as_of)
    except Exception as exc:
        failed(report_file.pk, exc)
        raise
    finish(report_file, content, fingerprint, count, as_of)
