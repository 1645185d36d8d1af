from django.shortcuts import render

from standards.alignment import compute_alignment
from standards.models import ClauseMapping
from standards.views import reader_required


@reader_required(editors_only=True)
def consistency(request):
    """Editors' list of mappings whose recorded alignment the limits contradict, and of
    mappings with no recorded alignment for which the limits suggest one."""
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
