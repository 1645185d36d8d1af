from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404, render

from standards.alignment import compute_alignment
from standards.models import ClauseMapping
from standards.views import reader_required


@reader_required
def mapping_detail(request, key):
    mapping = get_object_or_404(ClauseMapping.objects.for_list(), key=key)
    history = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(ClauseMapping),
            object_id=str(mapping.pk),
        )
        .select_related("user")
        .order_by("-action_time")[:50]
    )
    clauses = [
        *mapping.kz_side,
        *mapping.cn_side,
        *mapping.reference_side,
    ]
    return render(
        request,
        "standards/mapping_detail.html",
        {
            "mapping": mapping,
            "computed": compute_alignment(mapping),
            "sources": clauses,
            "history": history,
            "can_edit": request.user.is_staff
            and request.user.has_perm("standards.change_clausemapping"),
        },
    )
