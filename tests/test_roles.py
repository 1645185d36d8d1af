import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from standards.roles import ROLE_PERMISSIONS, ROLES
from standards.services import DEMO_ACCOUNTS, create_demo_accounts

pytestmark = pytest.mark.django_db


def perms_of(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_migration_created_every_role_with_exactly_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    for role, perms in ROLE_PERMISSIONS.items():
        assert perms_of(Group.objects.get(name=role)) == {f"{a}.{c}" for a, c in perms}


def test_regulator_reads_only(regulator):
    assert regulator.has_perm("standards.view_clausemapping")
    assert not regulator.has_perm("standards.export_report")
    assert not regulator.has_perm("standards.change_clausemapping")
    assert not regulator.is_staff


def test_negotiator_reads_and_exports(negotiator):
    assert negotiator.has_perm("standards.view_standard")
    assert negotiator.has_perm("standards.export_report")
    assert not negotiator.has_perm("standards.change_limit")
    assert not negotiator.is_staff


def test_editor_edits_domain_data_but_not_users(editor):
    assert editor.is_staff
    for model in ("standard", "clause", "clausemapping", "limit", "parameter"):
        assert editor.has_perm(f"standards.change_{model}")
    assert not editor.has_perm("auth.change_user")


def test_administrator_manages_users(administrator):
    assert administrator.is_staff
    assert administrator.has_perm("auth.add_user")
    assert administrator.has_perm("standards.delete_clausemapping")


def test_demo_accounts_get_their_roles_and_fresh_passwords():
    first = create_demo_accounts()
    second = create_demo_accounts()
    assert [(u, r) for u, _, r in first] == DEMO_ACCOUNTS
    for (username, old, role), (_, new, _) in zip(first, second, strict=True):
        assert old != new
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=username)
        assert user.check_password(new) and not user.check_password(old)
        assert list(user.groups.values_list("name", flat=True)) == [role]


def test_demo_accounts_command_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("create_demo_accounts")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


def test_demo_accounts_command_prints_credentials(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_accounts")
    out = capsys.readouterr().out
    for username, role in DEMO_ACCOUNTS:
        assert username in out and role in out
    assert "password:" in out


def test_every_portal_view_goes_through_reader_required():
    """standards/views/__init__.py promises it: the role check cannot be forgotten."""
    from standards.urls import urlpatterns

    unchecked = [p.name for p in urlpatterns if not getattr(p.callback, "role_checked", False)]
    assert urlpatterns and unchecked == []
