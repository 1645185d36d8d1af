"""The re-review queue (/review/): settled pairs whose sources changed, oldest first,
each with the changes that put it in doubt as a diff and a form to clear them."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, Min, OuterRef, Prefetch, Q
from django.shortcuts import render

from standards.forms import ReviewQueueForm
from standards.models import ClauseMapping
from standards.review import described, open_flags
from standards.views import reader_required

PER_PAGE = 25


@reader_required(editors_only=True)
def review_queue(request):
    if not request.user.has_perm("standards.change_reviewflag"):
        raise PermissionDenied
    form = ReviewQueueForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "standards/review_queue.html", {"form": form}, status=400)
    cleaned = form.cleaned_data if form.is_bound else {}
    flags = open_flags()
    if cleaned.get("cause"):
        flags = flags.filter(cause__in=cleaned["cause"])
    mappings = ClauseMapping.objects.filter(Exists(flags.filter(mapping=OuterRef("pk"))))
    if cleaned.get("product"):
        mappings = mappings.filter(product_group__in=cleaned["product"])
    if cleaned.get("topic"):
        mappings = mappings.filter(topic__in=cleaned["topic"])
    mappings = mappings.annotate(
        oldest=Min("review_flags__raised_at", filter=Q(review_flags__cleared_at__isnull=True))
    ).order_by("oldest", "key")
    page = Paginator(mappings, PER_PAGE).get_page(request.GET.get("page"))
    listed = list(
        ClauseMapping.objects.filter(pk__in=[m.pk for m in page]).prefetch_related(
            Prefetch("review_flags", queryset=_shown(flags), to_attr="open_flags")
        )
    )
    order = {m.pk: position for position, m in enumerate(page)}
    listed.sort(key=lambda m: order[m.pk])
    for mapping in listed:
        described(mapping.open_flags)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "standards/review_queue.html",
        {
            "form": form,
            "page": page,
            "mappings": listed,
            "flag_count": flags.count(),
            "query": query.urlencode(),
        },
    )


def _shown(flags):
    return flags.select_related(
        "clause__standard", "standard", "parameter", "changed_by", "cleared_by"
    ).order_by("raised_at", "pk")
