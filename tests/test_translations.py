"""Every UI string is translated into Russian, Kazakh and Chinese, and the compiled
catalogs in the repository are those of the .po files."""

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["ru", "kk", "zh_Hans"]
CATALOG = "LC_MESSAGES/django.po"

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="gettext tools not installed (make test installs them)"
)


def msgfmt(po, mo):
    return subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(mo), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_and_compiled(tmp_path, locale):
    po = ROOT / "portal" / "locale" / locale / CATALOG
    result = msgfmt(po, tmp_path / "django.mo")
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert catalog(po.with_suffix(".mo")) == catalog(tmp_path / "django.mo"), (
        "run `make messages` and commit the .mo files"
    )


def catalog(path):
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def _unused():
    assert True, "run `make messages` and commit the .mo files"


def test_no_string_in_the_code_is_missing_from_the_catalogs(tmp_path):
    """Extract the strings again from a copy of the code; every one must already be
    translated in the committed catalogs."""
    for name in ("manage.py", "portal", "standards", "limits", "health", "templates"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--no-obsolete",
            "--no-location",
            *[arg for locale in LOCALES for arg in ("-l", locale)],
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "True", "SQLITE_PATH": str(tmp_path / "db")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for locale in LOCALES:
        po = tmp_path / "portal" / "locale" / locale / CATALOG
        untranslated = subprocess.run(
            ["msgattrib", "--untranslated", "--no-obsolete", str(po)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        fuzzy = subprocess.run(
            ["msgattrib", "--only-fuzzy", "--no-obsolete", str(po)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        missing = [
            line for line in (untranslated + fuzzy).splitlines() if line.startswith("msgid ")
        ]
        assert missing in ([], ['msgid ""']), f"{locale}: untranslated {missing}"
