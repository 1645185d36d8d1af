"""Log-in protection, security headers and the production deployment check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_repeated_failed_logins_lock_out_that_username_and_address(regulator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "reg", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.text
    # Even the right password is refused while locked out...
    locked = client.post(reverse("login"), {"username": "reg", "password": "pw-reg"})
    assert locked.status_code == 429
    # ...but another address may still log in with that name.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code == 302
    )


def test_many_user_names_from_one_address_lock_that_address(regulator):
    """Password spraying: one failure for each of many names still locks the address."""
    from django.conf import settings as live

    limit = live.AXES_ADDRESS_FAILURE_LIMIT
    assert limit > live.AXES_FAILURE_LIMIT
    sprayer = Client(REMOTE_ADDR="10.0.0.5")
    for number in range(1, limit):
        response = sprayer.post(reverse("login"), {"username": f"user{number}", "password": "x"})
        assert response.status_code == 200, number  # an ordinary failure
    response = sprayer.post(reverse("login"), {"username": f"user{limit}", "password": "x"})
    assert response.status_code == 429
    assert "Logging in from your address is locked" in response.text
    # Every name is refused from that address now, even with the right password...
    locked = sprayer.post(reverse("login"), {"username": "reg", "password": "pw-reg"})
    assert locked.status_code == 429
    # ...while another address logs in.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code == 302
    )


def test_the_address_limit_is_higher_than_a_user_names(regulator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ADDRESS_FAILURE_LIMIT = 10
    client = Client()
    for number in range(9):
        client.post(reverse("login"), {"username": f"user{number}", "password": "x"})
    # Nine failures from the address, none of them with this name: not locked.
    assert (
        client.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code == 302
    )


def test_a_colleagues_log_in_from_the_address_does_not_clear_other_failures(
    regulator, negotiator, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client()
    for _ in range(2):
        attacker.post(reverse("login"), {"username": "reg", "password": "wrong"})
    colleague = Client()  # the same address
    assert (
        colleague.post(reverse("login"), {"username": "neg", "password": "pw-neg"}).status_code
        == 302
    )
    response = attacker.post(reverse("login"), {"username": "reg", "password": "wrong"})
    assert response.status_code == 429
    assert "Logging in with this user name from your address is locked" in response.text


def test_an_address_limit_below_the_user_name_limit_stops_the_process():
    from tests.test_settings import load_settings

    result = load_settings(SECRET_KEY="k", AXES_FAILURE_LIMIT="5", AXES_ADDRESS_FAILURE_LIMIT="4")
    assert result.returncode != 0
    assert "AXES_ADDRESS_FAILURE_LIMIT must be at least AXES_FAILURE_LIMIT" in result.stderr


def test_a_successful_login_resets_the_count(regulator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        client.post(reverse("login"), {"username": "reg", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code == 302
    )
    client.post(reverse("logout"))
    for _ in range(2):
        client.post(reverse("login"), {"username": "reg", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code == 302
    )


def test_weak_passwords_are_refused(administrator, client_for):
    response = client_for(administrator).post(
        reverse("admin:auth_user_add"),
        {
            "username": "newuser",
            "password1": "password",
            "password2": "password",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "This password is too common." in response.text


def test_changing_the_password_ends_other_sessions(regulator, client_for):
    other_device = client_for(regulator)
    assert other_device.get(reverse("standards:home")).status_code == 200
    regulator.set_password("a-new-Passphrase-2026")
    regulator.save()
    assert other_device.get(reverse("standards:home")).status_code == 302


@pytest.mark.parametrize("role", ["regulator", "negotiator", "editor", "administrator"])
def test_every_role_reaches_the_password_change_from_the_header(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    page = client.get(reverse("standards:home")).text
    assert f'href="{reverse("password_change")}"' in page
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    assert 'name="old_password"' in response.text and 'name="new_password2"' in response.text


def test_changing_the_own_password_keeps_this_session_and_ends_the_others(regulator):
    this_device, other_device = Client(), Client()
    for client in (this_device, other_device):
        assert (
            client.post(reverse("login"), {"username": "reg", "password": "pw-reg"}).status_code
            == 302
        )
        assert client.get(reverse("standards:home")).status_code == 200
    new = "a-new-Passphrase-2026"
    response = this_device.post(
        reverse("password_change"),
        {"old_password": "pw-reg", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    done = this_device.get(response["Location"])
    assert done.status_code == 200 and "Your password was changed." in done.text
    assert this_device.get(reverse("standards:home")).status_code == 200
    ended = other_device.get(reverse("standards:home"))
    assert ended.status_code == 302 and ended["Location"].startswith(reverse("login"))
    regulator.refresh_from_db()
    assert regulator.check_password(new)
    assert Client().post(reverse("login"), {"username": "reg", "password": new}).status_code == 302


def test_the_password_change_needs_the_old_password_and_a_strong_new_one(regulator, client_for):
    client = client_for(regulator)
    wrong = client.post(
        reverse("password_change"),
        {
            "old_password": "guess",
            "new_password1": "a-new-Pass-26",
            "new_password2": "a-new-Pass-26",
        },
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly." in wrong.text
    weak = client.post(
        reverse("password_change"),
        {"old_password": "pw-reg", "new_password1": "password", "new_password2": "password"},
    )
    assert weak.status_code == 200
    assert "This password is too common." in weak.text
    regulator.refresh_from_db()
    assert regulator.check_password("pw-reg")


def test_sessions_expire(settings):
    from django.conf import settings as live

    assert live.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert live.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_security_headers_are_sent(client_for, regulator):
    response = client_for(regulator).get(reverse("standards:home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def cache_directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_no_cache_keeps_pages_downloads_or_the_log_in_page(negotiator, editor, client_for):
    standard = make_standard(key="tr-cu-034-2013")
    mapping = make_mapping(key="KZCN-001", kz=[make_clause(standard)])
    anonymous = Client()
    assert {"private", "no-store"} <= cache_directives(anonymous.get(reverse("login")))
    client = client_for(negotiator)
    urls = [
        reverse("standards:home"),
        reverse("standards:compare"),
        reverse("standards:mapping-detail", args=[mapping.key]),
        reverse("standards:report-csv"),
        reverse("password_change"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= cache_directives(response), url
    csv = client.get(reverse("standards:report-csv"))
    assert csv["Content-Type"].startswith("text/csv")
    admin = client_for(editor).get(reverse("admin:index"))
    assert admin.status_code == 200
    assert {"private", "no-store"} <= cache_directives(admin)


def test_static_files_and_the_health_check_keep_their_own_caching(negotiator, client_for):
    from health.heartbeat import record

    record("w1")
    client = client_for(negotiator)
    static = client.get("/static/portal/portal.css")
    assert static.status_code == 200
    assert "no-store" not in cache_directives(static)
    assert "private" not in cache_directives(static)
    static.close()
    assert client.get(reverse("healthz"))["Cache-Control"] == "no-store"


def test_deploy_check_is_clean_with_production_settings():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "False",
        "SECRET_KEY": "production-like-key-" + "x7Qp2Lk9Vb4Nm8Rt6Ws3Yz1Hj5Gf0Dc" * 2,
        "ALLOWED_HOSTS": "portal.example.gov.kz",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_HSTS_PRELOAD": "True",
        "SQLITE_PATH": "/tmp/deploy-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
