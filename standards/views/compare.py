from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render

from standards.alignment import compute_alignment
from standards.forms import CompareFilterForm
from standards.models import MAPPING_FILTERS, ClauseMapping
from standards.review import needs_review
from standards.rows import render_rows
from standards.views import reader_required


def report_query(cleaned):
    """The gap report of the same selection: every filter of the comparison, and every
    mapping it lists (not only the gaps)."""
    params = []
    for name in MAPPING_FILTERS:
        value = cleaned.get(name)
        if name == "standard":
            if value:
                params.append((name, value.key))
        elif isinstance(value, list):  # a filter of several values
            params += [(name, v) for v in value]
        elif value:
            params.append((name, value))
    params.append(("gaps", "0"))
    return urlencode(params)


@reader_required
def compare(request):
    form = CompareFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "standards/compare.html",
            {"form": form, "page": None, "rows": []},
            status=400,
        )
    cleaned = form.cleaned_data if form.is_bound else {}
    mappings = (
        ClauseMapping.objects.matching(**{name: cleaned.get(name) for name in MAPPING_FILTERS})
        .with_ranks()
        .order_by(*(form.ordering() if form.is_bound else ["key"]))
        .for_list()
        .annotate(needs_review=needs_review())
    )
    paginator = Paginator(mappings, cleaned.get("per_page") or 50)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(mapping, compute_alignment(mapping)) for mapping in page]
    show_original = cleaned.get("text") == "original"
    return render(
        request,
        "standards/compare.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "rows_html": render_rows(rows, show_original),
            "report_query": report_query(cleaned),
        },
    )
