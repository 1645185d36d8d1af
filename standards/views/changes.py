"""What changed between two moments: the page (/changes/) and its report files."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation

from standards import changes as changes_of
from standards.forms import ChangesForm
from standards.models import Baseline
from standards.reports import changes_report
from standards.reports.files import CONTENT_TYPES
from standards.reports.render import RenderFailed
from standards.views import reader_required
from standards.views.reports import render_failed


def _baselines():
    return list(Baseline.objects.select_related("round", "taken_by").order_by("-taken_at")[:50])


def _evaluate(request):
    """(form, report context or None, status)."""
    form = ChangesForm(request.GET or None)
    if not form.is_bound:
        return form, None, 200
    if not form.is_valid():
        return form, None, 400
    found = changes_of.between(
        form.cleaned_data["since"], form.cleaned_data.get("until"), form.filters()
    )
    report = changes_report.context(found, form.query_string(), translation.get_language())
    return form, report, 200


@reader_required
def changes(request):
    form, report, status = _evaluate(request)
    too_many = report is not None and len(report["changes"].mappings) > settings.CHANGES_MAX_ROWS
    return render(
        request,
        "standards/changes.html",
        {
            "form": form,
            "report": report,
            "baselines": _baselines(),
            "can_export": request.user.has_perm("standards.export_report"),
            "too_many": too_many,
            "filtered": report is not None and any(form.filters().values()),
            "max_rows": settings.CHANGES_MAX_ROWS,
        },
        status=status,
    )


@reader_required
def changes_file(request, fmt):
    if not request.user.has_perm("standards.export_report"):
        raise PermissionDenied
    form, report, _status = _evaluate(request)
    if report is None or len(report["changes"].mappings) > settings.CHANGES_MAX_ROWS:
        context = {
            "form": form,
            "report": None,
            "baselines": _baselines(),
            "too_many": report is not None,
            "max_rows": settings.CHANGES_MAX_ROWS,
        }
        return render(request, "standards/changes.html", context, status=400)
    writer = {
        "pdf": changes_report.to_pdf,
        "csv": changes_report.to_csv,
        "xlsx": changes_report.to_xlsx,
    }[fmt]
    try:
        content = writer(report)
    except RenderFailed:
        return render_failed(request)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = f"changes-{report['fingerprint'][:12]}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Fingerprint"] = report["fingerprint"]
    return response
