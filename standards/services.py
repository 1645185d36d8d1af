"""Writes that touch several models, called alike from commands, views, admin and tests."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from standards.models import ClauseMapping, Delegation, DelegationMember
from standards.roles import ADMINISTRATOR, EDITOR, NEGOTIATOR, REGULATOR, STAFF_ROLES

DEMO_ACCOUNTS = [
    ("regulator", REGULATOR),
    ("negotiator", NEGOTIATOR),
    ("editor", EDITOR),
    ("administrator", ADMINISTRATOR),
]


# Demo accounts that belong to the Kazakh delegation (they read its internal notes).
DEMO_DELEGATION_ROLES = (NEGOTIATOR, EDITOR, ADMINISTRATOR)


@transaction.atomic
def assign_role(user, role):
    """Make `user` a member of exactly one role group, with staff access if the role needs it."""
    group = Group.objects.get(name=role)
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])
    user.groups.set([group])


@transaction.atomic
def create_demo_accounts():
    """Create (or reset) one account per role with a fresh random password.

    Returns [(username, password, role)]. For development machines only: the command
    that calls this refuses to run unless DEBUG is on.
    """
    User = get_user_model()
    accounts = []
    for username, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        assign_role(user, role)
        if role in DEMO_DELEGATION_ROLES:
            DelegationMember.objects.update_or_create(
                user=user, defaults={"delegation": Delegation.KAZAKHSTAN}
            )
        accounts.append((username, password, role))
    return accounts


@transaction.atomic
def set_mappings(queryset, field, value, *, user, reason):
    """Set the status or alignment of several mappings, one recorded change each (with
    who, when and why), skipping those already at that value. Returns how many changed."""
    changed = 0
    # Lock the rows themselves: the caller's queryset may join other tables (the admin's
    # select_related), which PostgreSQL cannot lock on the nullable side.
    ids = list(queryset.values_list("pk", flat=True))
    locked = ClauseMapping.objects.select_for_update().filter(pk__in=ids)
    for mapping in locked.exclude(**{field: value}).order_by("pk"):
        setattr(mapping, field, value)
        mapping.updated_by = user
        mapping.updated_at = timezone.now()
        mapping._change_reason = reason
        mapping._history_user = user  # also outside a request (commands, tests)
        mapping.save(update_fields=[field, "updated_by", "updated_at"])
        changed += 1
    return changed
