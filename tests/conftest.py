import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from standards.roles import ADMINISTRATOR, EDITOR, NEGOTIATOR, REGULATOR, sync_roles
from standards.services import assign_role


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username, role=None):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if role:
        if not Group.objects.filter(name=role).exists():
            # A transactional test before this one flushed the groups the data
            # migration created.
            sync_roles()
        assign_role(user, role)
    return user


@pytest.fixture
def regulator(db):
    return _user("reg", REGULATOR)


@pytest.fixture
def negotiator(db):
    return _user("neg", NEGOTIATOR)


@pytest.fixture
def editor(db):
    return _user("ed", EDITOR)


@pytest.fixture
def administrator(db):
    return _user("adm", ADMINISTRATOR)


@pytest.fixture
def outsider(db):
    """Logged in, but holding no role."""
    return _user("nobody")


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login
