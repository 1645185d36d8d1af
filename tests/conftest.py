import io

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone, translation

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
def _today_of_the_test(request):
    """A module's TODAY is the portal's local date when each test starts, not when the
    module was imported: a run that crosses midnight compares like with like."""
    if hasattr(request.module, "TODAY"):
        request.module.TODAY = timezone.localdate()


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


# --- the reference dataset -----------------------------------------------------------------


def _tables_and_counts(cursor):
    models = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    counts = {}
    for table in models:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return models, counts


@pytest.fixture(scope="session")
def _reference_rows(django_db_setup, django_db_blocker):
    """The rows `load_reference_data` writes into an empty portal, read once per test
    session (in a transaction that is then rolled back) as (model, columns, rows) per
    table. Only tables that were empty take rows, and no row refers to a table outside
    them: the rows can be written into any test's empty database as they are."""
    with django_db_blocker.unblock(), transaction.atomic(), connection.cursor() as cursor:
        models, before = _tables_and_counts(cursor)
        call_command("load_reference_data", stdout=io.StringIO())
        _models, after = _tables_and_counts(cursor)
        changed = {table for table in models if after[table] != before[table]}
        assert not [t for t in changed if before[t]], "the loader adds to a non-empty table"
        snapshot = []
        for table in sorted(changed):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            snapshot.append((models[table], columns, cursor.fetchall()))
        for model, columns, rows in snapshot:
            for field in model._meta.concrete_fields:
                target = field.related_model
                if field.is_relation and target._meta.db_table not in changed:
                    position = columns.index(field.column)
                    assert all(row[position] is None for row in rows), (model, field)
        transaction.set_rollback(True)
    return snapshot


def _adapted(row):
    """A row read back as it is written: psycopg reads JSON as Python values but writes
    them only wrapped."""
    if connection.vendor != "postgresql":
        return row
    from psycopg.types.json import Jsonb

    return [Jsonb(value) if isinstance(value, dict | list) else value for value in row]


@pytest.fixture
def reference_data(_reference_rows, db):
    """The reference dataset, as `load_reference_data` leaves it in an empty portal,
    written straight into the test's database: the same rows in a fraction of the
    loader's time."""
    with connection.cursor() as cursor:
        for model, columns, rows in _reference_rows:
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})", [_adapted(r) for r in rows]
            )
        models = [model for model, _columns, _rows in _reference_rows]
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
