from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from standards.history import differences_since
from standards.models import IssuedReport, ReportFile
from standards.reports import files
from standards.reports.bilingual import build_bilingual
from standards.reports.content import build_report
from standards.reports.fingerprint import fingerprint
from standards.reports.render import RenderFailed
from standards.reports.selection import REPORT_LANGUAGES, selection_from
from standards.views import reader_required


def interface_report_language():
    """The report language matching the interface language (English otherwise)."""
    language = (translation.get_language() or "en").lower()
    codes = [code for code, _name in REPORT_LANGUAGES]
    return language if language in codes else "en"


def can_export(user):
    return user.has_perm("standards.export_report")


def _invalid(request, form):
    return render(request, "reports/builder.html", {"form": form, "invalid": True}, status=400)


@reader_required
def builder(request):
    """The report's choices, empty or pre-filled from a comparison's filters
    (/compare/'s "Build a report from this selection"); the language is the
    interface's unless the address names one."""
    query = request.GET.copy() if request.GET else None
    if query is not None and not query.get("lang"):
        query["lang"] = interface_report_language()
    form, _selection = selection_from(query, user=request.user)
    if query is None:
        form.initial["lang"] = interface_report_language()
    return render(request, "reports/builder.html", {"form": form})


@reader_required
def gap_html(request):
    form, selection = selection_from(request.GET, user=request.user)
    if selection is None:
        return _invalid(request, form)
    try:
        files.check_size(selection)
    except files.TooLarge as too_large:
        return _too_large(request, too_large.count)
    with translation.override(selection.lang):
        report = build_report(selection)
        if selection.lang2:
            bilingual = build_bilingual(selection, report["as_of"], report=report)
            report["classification"] = " / ".join(
                bilingual[side]["classification"] for side in ("first", "second")
            )
            body = render_to_string(
                "reports/_body_bilingual.html", {"bilingual": bilingual}, request=request
            )
        else:
            body = render_to_string("reports/_body.html", report, request=request)
    files.record_issued(report["fingerprint"], selection.query_string(), report["as_of"])
    return render(
        request,
        "reports/gap.html",
        {
            "body": body,
            "report": report,
            "query": selection.query_string(),
            "lang": selection.lang,
            "can_export": can_export(request.user),
        },
    )


def _too_large(request, count):
    message = _(
        "This selection holds %(count)d mappings; reports are limited to %(limit)d. "
        "Narrow the selection (product group, topic, status) and try again."
    ) % {"count": count, "limit": settings.REPORT_MAX_MAPPINGS}
    return render(request, "reports/refused.html", {"message": message}, status=400)


PREPARING_RETRY_SECONDS = 3


def refuse_export(request):
    """The answer to a role that may read reports but not download them."""
    return render(
        request,
        "reports/refused.html",
        {"message": _("Your role may read reports but not export them.")},
        status=403,
    )


@reader_required
def gap_file(request, fmt):
    if not can_export(request.user):
        return refuse_export(request)
    form, selection = selection_from(request.GET, user=request.user)
    if selection is None:
        return _invalid(request, form)
    try:
        report_file = files.report_file_for(selection, fmt, request.user)
    except files.TooLarge as too_large:
        return _too_large(request, too_large.count)
    except RenderFailed:
        return render_failed(request)
    if report_file.status == ReportFile.Status.DONE:
        return files.serve(report_file)
    if report_file.requested_by_id == request.user.pk:
        return redirect(report_file)
    return _being_prepared(request)


def _being_prepared(request):
    """Another request is rendering this very report: say so and retry, never render it
    twice."""
    response = render(
        request,
        "reports/preparing.html",
        {"retry_url": request.get_full_path(), "retry_seconds": PREPARING_RETRY_SECONDS},
        status=202,
    )
    response["Retry-After"] = str(PREPARING_RETRY_SECONDS)
    return response


def render_failed(request):
    """The render process crashed or ran out of time: nothing is kept, the next request
    renders again."""
    response = render(
        request,
        "reports/refused.html",
        {
            "message": _(
                "The report could not be prepared just now. Try again in a minute; if it "
                "fails again, narrow the selection or ask the portal's administrators."
            )
        },
        status=503,
    )
    response["Retry-After"] = "60"
    return response


def _own_report_file(request, pk):
    """The report job of this user: a job and its file belong to whoever requested it."""
    report_file = get_object_or_404(ReportFile, pk=pk)
    if not can_export(request.user) or report_file.requested_by_id != request.user.pk:
        return None
    return report_file


@reader_required
def report_job(request, pk):
    report_file = _own_report_file(request, pk)
    if report_file is None:
        return render(request, "reports/refused.html", {"message": _("Not allowed.")}, status=403)
    return render(
        request,
        "reports/job.html",
        {
            "job": report_file,
            "pending": report_file.status in files.PENDING,
            "report_url": f"{reverse('standards:report-html')}?{report_file.selection}",
        },
    )


@reader_required
def report_job_download(request, pk):
    report_file = _own_report_file(request, pk)
    if report_file is None:
        return render(request, "reports/refused.html", {"message": _("Not allowed.")}, status=403)
    if report_file.status != ReportFile.Status.DONE:
        return redirect(report_file)
    return files.serve(report_file)


class VerifyForm(forms.Form):
    fingerprint = forms.RegexField(
        label=gettext_lazy("Fingerprint"),
        regex=r"^\s*([0-9a-fA-F]{12}|[0-9a-fA-F]{64})\s*$",
        required=False,
        help_text=gettext_lazy(
            "The whole fingerprint (64 characters) or its first 12, as in the file name "
            "and the footer."
        ),
        error_messages={
            "invalid": gettext_lazy(
                "A fingerprint is 64 hexadecimal characters, or the first 12 of them."
            )
        },
    )
    document = forms.FileField(
        label=gettext_lazy("Or the report as a PDF file"),
        required=False,
        help_text=gettext_lazy("The fingerprint and selection are read from the PDF itself."),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("fingerprint") and not cleaned.get("document"):
            raise forms.ValidationError(
                gettext_lazy("Give a fingerprint or a PDF report."), code="empty"
            )
        return cleaned


# A report of the portal is far smaller: about 4.4 KB a mapping in Russian with the
# original texts and the notes (352 mappings: 1.5 MB), 9 MB at REPORT_MAX_MAPPINGS.
MAX_UPLOAD = 20 * 2**20
PDF_HEADER_WINDOW = 1024  # the "%PDF-" header may follow other bytes, up to this far


def _read_pdf_metadata(upload):
    """The fingerprint and the selection in the document information dictionary (/Info)
    of an uploaded report; a ValidationError for anything else.

    The upload is bounded (MAX_UPLOAD) and must start as a PDF does; pypdf then reads
    only the cross-reference table, the trailer and the dictionary /Info names, leniently
    (strict=False), within its own limits on what it decompresses. On a crafted file it
    raises its own errors and built-in ones alike (an /Info that points at itself:
    AttributeError; reference cycles and deep nesting: RecursionError; a missing key:
    KeyError...): all of them mean the file cannot be read, and are caught around pypdf
    only. A value that is not a text string (an indirect reference, a dictionary) is not
    a fingerprint."""
    import io
    import re
    import struct
    import zlib

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    unreadable = (
        PyPdfError,  # PdfReadError, PdfStreamError, ParseError, LimitReachedError...
        DependencyError,  # encrypted with an algorithm that needs a missing library
        RuntimeError,  # RecursionError, NotImplementedError (unsupported filters)
        AttributeError, LookupError, TypeError, ValueError, ArithmeticError, AssertionError,
        OSError, struct.error, zlib.error,
    )  # fmt: skip
    if upload.size > MAX_UPLOAD:
        raise forms.ValidationError(
            _("The file is larger than %(limit)d MB: it is not a report of the portal.")
            % {"limit": MAX_UPLOAD // 2**20},
            code="too_large",
        )
    data = upload.read(MAX_UPLOAD + 1)
    try:
        if b"%PDF-" not in data[:PDF_HEADER_WINDOW]:
            raise PyPdfError("no PDF header")
        info = PdfReader(io.BytesIO(data), strict=False).metadata or {}
        fingerprint, selection = (
            None if value is None else value.get_object()
            for value in (info.get("/fingerprint"), info.get("/selection"))
        )
    except unreadable:
        raise forms.ValidationError(_("This file is not a readable PDF."), code="not_pdf") from None
    fingerprint = fingerprint.strip().lower() if isinstance(fingerprint, str) else ""
    if not re.fullmatch(r"[0-9a-f]{64}", fingerprint) or not isinstance(selection, str):
        raise forms.ValidationError(
            _("This PDF carries no report fingerprint: it was not produced by the portal."),
            code="no_fingerprint",
        )
    return fingerprint, str(selection)


@reader_required(methods=("GET", "HEAD", "POST"))
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    outcome, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = _verify(form.cleaned_data)
            except forms.ValidationError as exc:
                form.add_error(
                    "document" if form.cleaned_data.get("document") else "fingerprint", exc
                )
                status = 400
        else:
            status = 400
    return render(request, "reports/verify.html", {"form": form, "outcome": outcome}, status=status)


def _verify(cleaned):
    from django.http import QueryDict

    if cleaned.get("document"):
        claimed, selection_query = _read_pdf_metadata(cleaned["document"])
        issued = IssuedReport.objects.filter(fingerprint=claimed).first()
    else:
        claimed = cleaned["fingerprint"].strip().lower()
        issued = _issued(claimed)
        if issued is None:
            return {"known": False, "claimed": claimed}
        claimed, selection_query = issued.fingerprint, issued.selection
    _form, selection = selection_from(QueryDict(selection_query))
    if selection is None:
        return {"known": False, "claimed": claimed}
    from standards.reports.content import included

    mappings, documents = included(selection)
    current = fingerprint(selection, mappings, documents)
    outcome = {
        "known": True,
        "claimed": claimed,
        "current": current,
        "matches": current == claimed,
        "issued": issued,
        "report_url": f"{reverse('standards:report-html')}?{selection.query_string()}",
    }
    if not outcome["matches"] and issued is not None:
        outcome["changes"] = sorted(differences_since(mappings, issued.as_of).items())
    return outcome


def _issued(claimed):
    """The issued report of a whole fingerprint, or of its first 12 characters; reports
    issued before fingerprints were kept are found among the rendered files."""
    issued = IssuedReport.objects.filter(fingerprint__startswith=claimed)[:2]
    if len(issued) == 1:
        return issued[0]
    if len(issued) > 1:
        raise forms.ValidationError(
            _("Several reports begin with this fingerprint: give all 64 characters."),
            code="ambiguous",
        )
    rendered = ReportFile.objects.filter(fingerprint__startswith=claimed).first()
    if rendered is None:
        return None
    return IssuedReport(
        fingerprint=rendered.fingerprint,
        selection=rendered.selection,
        as_of=rendered.finished_at or rendered.created_at,
    )
