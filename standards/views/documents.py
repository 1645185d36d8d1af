from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from standards.forms import StandardFilterForm
from standards.models import Clause, ClauseMapping, Standard
from standards.views import is_editor, reader_required
from standards.views.watches import watch_of


@reader_required
def standard_list(request):
    form = StandardFilterForm(request.GET or None)
    standards = Standard.objects.annotate(clause_total=Count("clauses")).prefetch_related(
        "superseded_by"
    )
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
            standards = standards.filter(**filters)
        else:
            standards, status = standards.none(), 400
    return render(
        request,
        "standards/standard_list.html",
        {"form": form, "standards": standards.order_by("jurisdiction", "code")},
        status=status,
    )


def clause_tree(clauses):
    """[(clause, depth)] in reading order: each clause followed by its sub-clauses."""
    children, roots = {}, []
    ids = {clause.pk for clause in clauses}
    for clause in clauses:
        if clause.parent_id in ids:
            children.setdefault(clause.parent_id, []).append(clause)
        else:
            roots.append(clause)
    ordered = []

    def walk(clause, depth):
        ordered.append((clause, depth))
        for child in children.get(clause.pk, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return ordered


@reader_required
def standard_detail(request, key):
    mappings = ClauseMapping.objects.only("pk", "key", "title")
    standard = get_object_or_404(
        Standard.objects.prefetch_related(
            "supersedes",
            "superseded_by",
            Prefetch(
                "clauses",
                queryset=Clause.objects.with_standard()
                .prefetch_related(
                    Prefetch("kz_mappings", queryset=mappings),
                    Prefetch("cn_mappings", queryset=mappings),
                    Prefetch("reference_mappings", queryset=mappings),
                )
                .order_by("reference"),
            ),
        ),
        key=key,
    )
    return render(
        request,
        "standards/standard_detail.html",
        {
            "standard": standard,
            "clauses": clause_tree(list(standard.clauses.all())),
            # Where the team read a copy is internal: editors only.
            "can_edit": is_editor(request.user),
            "watch": watch_of(request.user, standard=standard),
        },
    )
