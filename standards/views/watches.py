"""A user's watches and notifications: /watches/ (what they watch and how they get the
digests) and /notifications/ (the digests they got). Every role manages its own, and
only its own: another user's watch is a 404."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from standards.forms import WatchForm, WatchPreferenceForm
from standards.models import Notification, Topic, Watch, WatchPreference
from standards.views import reader_required

NOTIFICATIONS_PER_PAGE = 25


def _preference(user):
    """The user's preference, or an unsaved one in the language they read the portal in."""
    found = WatchPreference.objects.filter(user=user).first()
    if found is not None:
        return found
    language = get_language()
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return WatchPreference(user=user, language=language)


def _watches_page(request, preference_form=None, watch_form=None, status=200):
    watches = (
        Watch.objects.filter(user=request.user)
        .select_related("mapping", "standard", "round")
        .order_by("kind", "created_at", "pk")
    )
    watched_topics = {w.topic for w in watches if w.kind == Watch.Kind.TOPIC}
    context = {
        "watches": watches,
        "preference_form": preference_form
        or WatchPreferenceForm(instance=_preference(request.user)),
        "watch_form": watch_form or WatchForm(user=request.user),
        "topics": [(value, label) for value, label in Topic.choices if value not in watched_topics],
        "watches_market": any(w.kind == Watch.Kind.MARKET for w in watches),
    }
    return render(request, "standards/watches.html", context, status=status)


@reader_required(methods=("GET", "HEAD", "POST"))
def watches(request):
    """GET: the user's watches and preferences. POST: save the preferences."""
    if request.method != "POST":
        return _watches_page(request)
    form = WatchPreferenceForm(request.POST, instance=_preference(request.user))
    if not form.is_valid():
        return _watches_page(request, preference_form=form, status=400)
    form.save()
    messages.success(request, _("Your digest settings were saved."))
    return redirect("standards:watches")


def _back(request, fallback="standards:watches"):
    """Back to the page the form was on (a path of this site), or to /watches/."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@reader_required(methods=("POST",))
def watch_add(request):
    form = WatchForm(request.POST, user=request.user)
    if not form.is_valid():
        return _watches_page(request, watch_form=form, status=400)
    try:
        with transaction.atomic():
            Watch.objects.get_or_create(user=request.user, **form.cleaned_data["values"])
            preference = _preference(request.user)
            if preference.pk is None:
                # The first watch: digests in the language the reader reads the portal in.
                preference.save()
    except IntegrityError:
        pass  # the same watch, added by a second click at the same moment
    messages.success(request, _("You now watch this."))
    return _back(request)


@reader_required(methods=("POST",))
def watch_remove(request, pk):
    watch = get_object_or_404(Watch, pk=pk, user=request.user)
    watch.delete()
    messages.success(request, _("You no longer watch this."))
    return _back(request)


def watch_of(user, **target):
    """The user's watch of this target ({"mapping": m}, {"standard": s}, {"round": r}),
    or None: for the Watch/Unwatch button of its page (one query)."""
    return Watch.objects.filter(user=user, **target).only("pk").first()


@reader_required
def notifications(request):
    found = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = Paginator(found, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "standards/notifications.html", {"page": page})


@reader_required(methods=("POST",))
def notifications_read(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("All your notifications are marked as read."))
    return redirect("standards:notifications")
