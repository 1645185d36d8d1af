"""The establishment register: the list (filters by region, activity, product, status
today and renewal) and one establishment with its status history."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from standards import establishments
from standards.forms import EstablishmentFilterForm
from standards.models import Establishment
from standards.views import is_editor, reader_required

PER_PAGE = 50


def filtered(cleaned, today):
    """The establishments matching the register's filters, with their state on `today`."""
    rows = Establishment.objects.with_state(today)
    if cleaned.get("region"):
        rows = rows.filter(region=cleaned["region"])
    if cleaned.get("activity"):
        rows = establishments.with_activity(rows, cleaned["activity"])
    if cleaned.get("species") or cleaned.get("processing"):
        rows = establishments.with_product(rows, cleaned.get("species"), cleaned.get("processing"))
    if cleaned.get("status"):
        rows = rows.filter(current_status=cleaned["status"])
    renewal = cleaned.get("renewal")
    if renewal == EstablishmentFilterForm.DUE:
        rows = rows.filter(renewal_state__isnull=False)
    elif renewal:
        rows = rows.filter(renewal_state=renewal)
    return rows.order_by("name", "pk")


@reader_required
def establishment_list(request):
    form = EstablishmentFilterForm(request.GET or None)
    context = {
        "form": form,
        "source_notes": establishments.SOURCE_NOTES,
        "can_import": is_editor(request.user)
        and request.user.has_perm("standards.add_establishment"),
    }
    if form.is_bound and not form.is_valid():
        return render(
            request, "standards/establishment_list.html", {**context, "page": None}, status=400
        )
    cleaned = form.cleaned_data if form.is_bound else {}
    today = timezone.localdate()
    paginator = Paginator(filtered(cleaned, today), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "standards/establishment_list.html",
        {
            **context,
            "page": page,
            "filtered": any(cleaned.values()),
            "register_empty": paginator.count == 0 and not any(cleaned.values()),
        },
    )


@reader_required
def establishment_detail(request, pk):
    establishment = get_object_or_404(Establishment.objects.with_state(timezone.localdate()), pk=pk)
    return render(
        request,
        "standards/establishment_detail.html",
        {
            "establishment": establishment,
            "changes": establishment.status_changes.select_related("recorded_by").order_by(
                "-recorded_at", "-pk"
            ),
            "is_editor": is_editor(request.user),
        },
    )
