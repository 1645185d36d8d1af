"""Log-in protection, security headers and the production deployment check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

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
