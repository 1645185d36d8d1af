from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render

from standards.models import Clause, ClauseMapping, Standard


def reader_required(view):
    """Every portal page: a logged-in user whose role may read the requirements."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm("standards.view_clausemapping"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@reader_required
def home(request):
    groups = (
        ClauseMapping.objects.values("product_group")
        .annotate(
            total=Count("pk"),
            kz_gaps=Count("pk", filter=Q(alignment=ClauseMapping.Alignment.CN_ONLY)),
            cn_gaps=Count("pk", filter=Q(alignment=ClauseMapping.Alignment.KZ_ONLY)),
            settled=Count(
                "pk",
                filter=Q(status__in=[ClauseMapping.Status.AGREED, ClauseMapping.Status.HARMONIZED]),
            ),
        )
        .order_by("product_group")
    )
    labels = dict(ClauseMapping.ProductGroup.choices)
    summary = [{**row, "label": labels[row["product_group"]]} for row in groups]
    standards = Standard.objects.annotate(clause_total=Count("clauses")).order_by(
        "jurisdiction", "code"
    )
    return render(request, "standards/home.html", {"summary": summary, "standards": standards})


@reader_required
def standard_detail(request, key):
    standard = get_object_or_404(
        Standard.objects.prefetch_related(
            "supersedes",
            "superseded_by",
            Prefetch(
                "clauses",
                queryset=Clause.objects.prefetch_related(
                    "limits__parameter", "kz_mappings", "cn_mappings", "reference_mappings"
                ).order_by("reference"),
            ),
        ),
        key=key,
    )
    return render(request, "standards/standard_detail.html", {"standard": standard})


@reader_required
def mapping_detail(request, key):
    mapping = get_object_or_404(ClauseMapping.objects.for_list(), key=key)
    return render(request, "standards/mapping_detail.html", {"mapping": mapping})
