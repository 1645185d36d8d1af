"""Two editors saving one mapping at the same instant on the embedded SQLite database (a
real file, two processes): one save, one "someone else saved" refusal, never "database
is locked"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import make_clause, make_mapping
mapping = make_mapping(key="RACE-001", kz=[make_clause()], title="Lead")
print(mapping.updated_at.isoformat())
"""

SAVE = """
import sys, time
import django; django.setup()
from django.db import transaction
from standards.admin_forms import MappingForm
from standards.models import ClauseMapping
from tests.test_admin import _mapping_form_data

loaded, text, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
with transaction.atomic():
    mapping = ClauseMapping.objects.get(key="RACE-001")
    data = _mapping_form_data(mapping, rationale=text, loaded_version=loaded)
    form = MappingForm(data, instance=mapping)
    valid = form.is_valid()
    time.sleep(pause)  # the other editor's save arrives now
    if valid:
        form.save()
print("saved" if valid else "refused: " + " ".join(form.non_field_errors()))
"""


def run(code, env, *args, background=False):
    command = [sys.executable, "-c", code, *args]
    options = {"cwd": ROOT, "env": env, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if background:
        return subprocess.Popen(command, text=True, **options)
    return subprocess.run(command, text=True, check=True, timeout=120, **options)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").strip() != "",
    reason="the embedded SQLite default; PostgreSQL's race is tests/test_admin.py",
)
def test_two_simultaneous_saves_on_sqlite_give_one_save_and_one_refusal(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SQLITE_PATH": str(tmp_path / "race.sqlite3"),
        "DEBUG": "False",
        "SECRET_KEY": "race-test",
    }
    loaded = run(SETUP, env).stdout.strip().splitlines()[-1]
    first = run(SAVE, env, loaded, "First editor's text.", "1.5", background=True)
    second = run(SAVE, env, loaded, "Second editor's text.", "0", background=True)
    outcomes = []
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outcomes.append(out.strip().splitlines()[-1])
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "saved"], outcomes
    assert any("Someone else saved this clause mapping" in o for o in outcomes), outcomes
