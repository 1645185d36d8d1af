from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_safe

from standards.alignment import compute_alignment
from standards.models import ClauseMapping


@require_safe
@login_required
def consistency(request):
    """Editors' list of mappings whose recorded alignment the limits contradict, and of
    mappings with no recorded alignment for which the limits suggest one."""
    if not (request.user.is_staff and request.user.has_perm("standards.change_clausemapping")):
        raise PermissionDenied
    disagreements, suggestions = [], []
    for mapping in ClauseMapping.objects.for_list().order_by("key"):
        computed = compute_alignment(mapping)
        if computed.disagrees:
            disagreements.append((mapping, computed))
        elif computed.suggests:
            suggestions.append((mapping, computed))
    return render(
        request,
        "standards/consistency.html",
        {"disagreements": disagreements, "suggestions": suggestions},
    )
