"""Every URL × role × method answers with the expected status.

The list of URLs comes from the URL configuration: a new named URL without an entry in
EXPECTED fails test_every_url_has_an_expectation. Admin URLs are covered by their entry
points (index and each model's changelist and add form); test_admin.py covers the rest.
"""

import datetime

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from health.heartbeat import record as record_heartbeat
from standards.models import (
    CatalogueEntry,
    Establishment,
    Pathway,
    ReportFile,
    Round,
    SiteVisit,
    Watch,
)
from tests.factories import make_clause, make_mapping, make_standard

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "regulator", "negotiator", "editor", "administrator"]
LOGIN = "login-redirect"  # 302 to the login page


def every(status):
    return dict.fromkeys(ROLES, status)


def readers(status=200):
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], status)}


EXPORTERS = {
    "anonymous": LOGIN,
    "regulator": 403,
    "negotiator": 200,
    "editor": 200,
    "administrator": 200,
}
EDITORS = {
    "anonymous": LOGIN,
    "regulator": 403,
    "negotiator": 403,
    "editor": 200,
    "administrator": 200,
}

# A report job and its file: the negotiator who requested it (the world's job) alone.
JOB_OWNER = {
    "anonymous": LOGIN,
    "regulator": 403,
    "negotiator": 200,
    "editor": 403,
    "administrator": 403,
}

# url name -> {"GET": {role: status}, "POST": {role: status}}; POSTs carry a CSRF token.
EXPECTED = {
    "login": {"GET": every(200), "POST": every(200)},  # an empty form is shown again
    "logout": {"GET": every(405), "POST": every(302)},
    # Every role changes its own password; an empty form is shown again.
    "password_change": {"GET": readers(), "POST": readers()},
    "password_change_done": {"GET": readers(), "POST": readers(405)},
    "set_language": {"GET": every(302), "POST": every(302)},
    # No login for the health check; it answers GET and HEAD only.
    "healthz": {"GET": every(200), "POST": every(405)},
    "standards:home": {"GET": readers(), "POST": every(405)},
    "standards:compare": {"GET": readers(), "POST": every(405)},
    "standards:standard-list": {"GET": readers(), "POST": every(405)},
    "standards:standard-detail": {"GET": readers(), "POST": every(405)},
    "standards:mapping-detail": {"GET": readers(), "POST": every(405)},
    # Adding a negotiation note: an empty form is a 400; regulators may not add notes.
    "standards:note-add": {
        "GET": every(405),
        "POST": {
            "anonymous": LOGIN,
            "regulator": 403,
            "negotiator": 400,
            "editor": 400,
            "administrator": 400,
        },
    },
    # Clearing re-review flags: an empty form is a 400 for editors; readers may not.
    "standards:flags-clear": {
        "GET": every(405),
        "POST": {**EDITORS, "editor": 400, "administrator": 400},
    },
    "standards:review-queue": {"GET": EDITORS, "POST": every(405)},
    "standards:round-list": {"GET": readers(), "POST": every(405)},
    "standards:round-detail": {"GET": readers(), "POST": every(405)},
    # Closing a round: the editor's POST takes the baseline; the administrator's, after
    # it, would be a correction and has no reason (400).
    "standards:round-baseline": {
        "GET": every(405),
        "POST": {
            "anonymous": LOGIN,
            "regulator": 403,
            "negotiator": 403,
            "editor": 302,
            "administrator": 400,
        },
    },
    "standards:pathway-list": {"GET": readers(), "POST": every(405)},
    "standards:zone-list": {"GET": readers(), "POST": every(405)},
    "standards:catalogue-list": {"GET": readers(), "POST": every(405)},
    "standards:catalogue-detail": {"GET": readers(), "POST": every(405)},
    "standards:pathway-detail": {"GET": readers(), "POST": every(405)},
    "standards:establishment-list": {"GET": readers(), "POST": every(405)},
    "standards:establishment-detail": {"GET": readers(), "POST": every(405)},
    "standards:visit-list": {"GET": readers(), "POST": every(405)},
    "standards:visit-detail": {"GET": readers(), "POST": every(405)},
    "standards:changes": {"GET": readers(), "POST": every(405)},
    # Report files of what changed: no "since" is a 400 for those who may export.
    **{
        f"standards:changes-{fmt}": {
            "GET": {**EXPORTERS, "negotiator": 400, "editor": 400, "administrator": 400},
            "POST": every(405),
        }
        for fmt in ("pdf", "csv", "xlsx")
    },
    "standards:search": {"GET": readers(), "POST": every(405)},
    "standards:consistency": {"GET": EDITORS, "POST": every(405)},
    "standards:reports": {"GET": readers(), "POST": every(405)},
    "standards:report-html": {"GET": readers(), "POST": every(405)},
    "standards:report-pdf": {"GET": EXPORTERS, "POST": every(405)},
    "standards:report-csv": {"GET": EXPORTERS, "POST": every(405)},
    "standards:report-xlsx": {"GET": EXPORTERS, "POST": every(405)},
    # The market-access report: every role reads it; its files are for those who export.
    "standards:market-access-report": {"GET": readers(), "POST": every(405)},
    "standards:market-access-pdf": {"GET": EXPORTERS, "POST": every(405)},
    "standards:market-access-csv": {"GET": EXPORTERS, "POST": every(405)},
    "standards:market-access-xlsx": {"GET": EXPORTERS, "POST": every(405)},
    "standards:report-job": {"GET": JOB_OWNER, "POST": every(405)},
    "standards:report-download": {"GET": JOB_OWNER, "POST": every(405)},
    "standards:report-verify": {"GET": readers(), "POST": readers(400)},  # empty form: 400
    # Every role manages its own watches: an empty form is a 400.
    "standards:watches": {"GET": readers(), "POST": readers(400)},
    "standards:watch-add": {"GET": every(405), "POST": readers(400)},
    # The administrator's watch: removed by the administrator alone, a 404 for the others.
    "standards:watch-remove": {
        "GET": every(405),
        "POST": {
            "anonymous": LOGIN,
            "regulator": 404,
            "negotiator": 404,
            "editor": 404,
            "administrator": 302,
        },
    },
    "standards:notifications": {"GET": readers(), "POST": every(405)},
    "standards:notifications-read": {"GET": every(405), "POST": readers(302)},
}

ADMIN_STAFF = {"anonymous": "admin-login", "regulator": "admin-login", "negotiator": "admin-login"}


def named_urls(patterns=None, namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_an_expectation():
    assert set(named_urls()) == set(EXPECTED)


@pytest.fixture
def world(regulator, negotiator, editor, administrator):
    standard = make_standard(key="tr-cu-034-2013")
    mapping = make_mapping(key="KZCN-001", kz=[make_clause(standard)])
    round_ = Round.objects.create(number=1, title="Round 1, Astana", source="test")
    round_.agenda.set([mapping])
    pathway = Pathway.objects.create(
        key="beef-heat-treated", title="Heat-treated beef", species="cattle"
    )
    pathway.mappings.set([mapping])
    pathway.rounds.set([round_])
    establishment = Establishment.objects.create(
        key="almaty-meat", name="Almaty Meat", listing_date=datetime.date(2024, 2, 29)
    )
    visit = SiteVisit.objects.create(
        key="gacc-review",
        title="GACC review",
        purpose="country_review",
        inspecting_body="GACC",
        status="closed",
        source="test",
    )
    visit.pathways.set([pathway])
    entry = CatalogueEntry.objects.create(
        key="beef-frozen", product="Frozen beef", species="cattle", status="admitted", source="t"
    )
    record_heartbeat("matrix")  # a running report worker, for /healthz
    job = ReportFile.objects.create(
        key="k" * 64,
        fmt="pdf",
        selection="gaps=1&lang=en",
        fingerprint="f" * 64,
        status=ReportFile.Status.DONE,
        content=b"%PDF-1.7",
        requested_by=negotiator,
    )
    watch = Watch.objects.create(user=administrator, kind=Watch.Kind.MAPPING, mapping=mapping)
    args = {
        "standards:watch-remove": [watch.pk],
        "standards:standard-detail": [standard.key],
        "standards:mapping-detail": [mapping.key],
        "standards:note-add": [mapping.key],
        "standards:flags-clear": [mapping.key],
        "standards:round-detail": [round_.number],
        "standards:round-baseline": [round_.number],
        "standards:pathway-detail": [pathway.key],
        "standards:establishment-detail": [establishment.pk],
        "standards:visit-detail": [visit.key],
        "standards:catalogue-detail": [entry.key],
        "standards:report-job": [job.pk],
        "standards:report-download": [job.pk],
    }
    users = {
        "anonymous": None,
        "regulator": regulator,
        "negotiator": negotiator,
        "editor": editor,
        "administrator": administrator,
    }
    return args, users


def _client(user):
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def _post(client, url):
    client.get(reverse("login"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    return client.post(url, {"csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)


def _check(response, expected, where):
    if expected == LOGIN:
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("login")), where
    elif expected == "admin-login":
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("admin:login")), where
    else:
        assert response.status_code == expected, where


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_role_method_matrix(world, name):
    args, users = world
    url = reverse(name, args=args.get(name, []))
    for role, user in users.items():
        for method, expectations in EXPECTED[name].items():
            client = _client(user)
            response = client.get(url) if method == "GET" else _post(client, url)
            _check(response, expectations[role], f"{method} {url} as {role}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_csrf_is_enforced_on_every_post(world, name):
    args, users = world
    url = reverse(name, args=args.get(name, []))
    for role, user in users.items():
        # Without a token the CSRF check refuses every POST before any view runs.
        assert _client(user).post(url, {}).status_code == 403, (url, role)


def test_admin_entry_points_by_role(world):
    _args, users = world
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_add".format(*info)),
        ]
    for role, user in users.items():
        client = _client(user)
        for url in urls:
            response = client.get(url)
            if role in ADMIN_STAFF:
                _check(response, "admin-login", f"{url} as {role}")
            elif role == "editor" and any(
                app in url
                for app in (
                    "/auth/",
                    "django_tasks",
                    "/axes/",
                    "delegationmember",
                    "/watch",
                    "/notification/",
                )
            ):
                assert response.status_code == 403, url
            elif any(
                app in url
                for app in ("django_tasks", "/axes/", "negotiationnote", "/watch", "/notification/")
            ) and url.endswith("/add/"):
                assert response.status_code == 403, url  # read-only in the admin
            else:
                assert response.status_code == 200, f"{url} as {role}"
