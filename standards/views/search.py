from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Prefetch
from django.shortcuts import render

from standards.forms import SearchForm
from standards.models import Clause, ClauseMapping
from standards.search import matching_clauses
from standards.views import reader_required


@reader_required
def search(request):
    form = SearchForm(request.GET or None)
    page, status = None, 200
    if form.is_bound:
        if form.is_valid():
            clauses = matching_clauses(form.cleaned_data["q"])
            if clauses is None:
                clauses = Clause.objects.none()
            elif connection.vendor == "postgresql":
                # The matching ids first, from the indexes (25 ms for "Salmonella" at
                # 44,000 clauses): asked for the ordered page at once, the planner takes
                # the many ORs for a third of the table and walks every document's
                # clauses, testing each (1.8 s).
                clauses = Clause.objects.filter(pk__in=list(clauses.values_list("pk", flat=True)))
            mappings = ClauseMapping.objects.only("pk", "key", "title")
            clauses = (
                clauses.with_standard()
                .prefetch_related(
                    Prefetch("kz_mappings", queryset=mappings),
                    Prefetch("cn_mappings", queryset=mappings),
                    Prefetch("reference_mappings", queryset=mappings),
                )
                .order_by("standard__jurisdiction", "standard__code", "reference")
            )
            page = Paginator(clauses, 50).get_page(request.GET.get("page"))
        else:
            status = 400
    return render(request, "standards/search.html", {"form": form, "page": page}, status=status)
