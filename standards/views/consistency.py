from django.shortcuts import render

from standards.evidence import queue
from standards.views import reader_required


@reader_required(editors_only=True)
def consistency(request):
    """The editors' evidence queue: recorded verdicts the evidence does not support,
    provisional verdicts with what to read, and sides whose absence was never checked."""
    unsupported, provisional, unchecked = queue()
    return render(
        request,
        "standards/consistency.html",
        {"unsupported": unsupported, "provisional": provisional, "unchecked": unchecked},
    )
