"""The market-access report: the page (/reports/market-access/) and its files (.pdf,
.csv, .xlsx) for the roles that may export, as the gap report's."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

from standards.reports import market_access
from standards.reports.files import CONTENT_TYPES
from standards.reports.render import RenderFailed
from standards.views import reader_required
from standards.views.reports import can_export, refuse_export, render_failed


def _page(request, form, report=None, body="", status=200):
    return render(
        request,
        "reports/market_access.html",
        {
            "form": form,
            "report": report,
            "body": body,
            "can_export": can_export(request.user),
        },
        status=status,
    )


@reader_required
def market_access_html(request):
    form = market_access.MarketAccessForm(request.GET, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    params = form.params()
    with translation.override(params.lang):
        report = market_access.build(params)
        body = render_to_string("reports/_market_access_body.html", report, request=request)
    return _page(request, form, report, body)


@reader_required
def market_access_file(request, fmt):
    if not can_export(request.user):
        return refuse_export(request)
    form = market_access.MarketAccessForm(request.GET, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        content, fingerprint = market_access.produce(form.params(), fmt)
    except RenderFailed:
        return render_failed(request)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    name = f"market-access-{fingerprint[:12]}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Report-Fingerprint"] = fingerprint
    return response
