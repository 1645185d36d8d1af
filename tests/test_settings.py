"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")
    }
    code = (
        "import portal.settings as s, json;"
        "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'],"
        " 'name': str(s.DATABASES['default']['NAME'])}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_asked_for_and_secret_key_is_then_required():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_defaults_to_sqlite():
    result = load_settings(SECRET_KEY="k")
    assert result.returncode == 0, result.stderr
    assert '"debug": false' in result.stdout
    assert "sqlite3" in result.stdout


def test_database_url_selects_postgresql():
    result = load_settings(SECRET_KEY="k", DATABASE_URL="postgres://u:p@db.example:5432/portal")
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and '"name": "portal"' in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be True or False"),
        ({"SECRET_KEY": "k", "DATABASE_URL": "mysql://u@h/db"}, "must be a postgres:// URL"),
        ({"SECRET_KEY": "k", "DATABASE_URL": "postgres://u@h:5432/"}, "must name a database"),
        ({"SECRET_KEY": "k", "SESSION_COOKIE_AGE": "a day"}, "must be an integer"),
    ],
)
def test_bad_values_stop_the_process(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr
