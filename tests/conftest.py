import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import translation

from standards.roles import ADMINISTRATOR, EDITOR, NEGOTIATOR, REGULATOR, sync_roles
from standards.services import assign_role


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic():
    """Tests run with DEBUG off, as in production, but without `collectstatic`: the plain
    storage (no manifest of hashed names) and WhiteNoise finding files in the source tree.
    tests/test_serving.py checks the production storage."""
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=True,
        WHITENOISE_AUTOREFRESH=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in Chinese or a test that
    activates one would otherwise leave it active for the tests that follow."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


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
