"""Template context of every page."""

from django.utils.functional import SimpleLazyObject


def notifications(request):
    """`unread_notifications`: the reader's unread notifications, for the badge in the
    navigation. Counted once, and only by a page that shows it (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from standards.watches import unread_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
