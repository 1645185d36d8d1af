"""What an editor does in the admin from a pair page, in a real browser."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from standards.models import Limit
from standards.roles import EDITOR
from standards.services import assign_role
from tests.browser.test_portal_browser import data  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in_editor(page, live_server, django_user_model):
    editor = django_user_model.objects.create_user(username="editor", password="S3cure-pass!")
    assign_role(editor, EDITOR)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("S3cure-pass!")
    page.locator("main").get_by_role("button", name="Log in").click()


def test_editor_returns_to_the_pair_page_after_saving_a_mapping_and_a_limit(
    page,
    live_server,
    data,  # noqa: F811
    django_user_model,
):
    _log_in_editor(page, live_server, django_user_model)
    pair = f"{live_server.url}{data['mapping'].get_absolute_url()}"
    page.goto(pair)
    page.get_by_role("link", name="Edit in admin").click()
    page.locator("#id_rationale").fill("The Chinese rule sets a core temperature.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(pair)
    expect(page.get_by_text("The Chinese rule sets a core temperature.")).to_be_visible()

    page.get_by_role(
        "link", name=re.compile(r"^Edit GACC Announcement 2023 No\. 64 Art\. 3")
    ).click()
    page.get_by_label("Notation").fill("≥ 72 °C")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(pair)
    assert Limit.objects.get().value == 72
    expect(page.locator("#limits-heading").locator("..")).to_contain_text("72 °C")


def test_admin_pages_editors_use_are_accessible(
    page,
    live_server,
    data,  # noqa: F811
    django_user_model,
    axe,
):
    from tests.browser.conftest import WCAG_21_AA

    _log_in_editor(page, live_server, django_user_model)
    mapping, standard = data["mapping"], data["standard"]
    clause, limit = mapping.cn_clauses.get(), Limit.objects.get()
    urls = [
        reverse("admin:standards_clausemapping_changelist"),
        reverse("admin:standards_clausemapping_change", args=[mapping.pk]),
        reverse("admin:standards_clause_changelist"),
        reverse("admin:standards_clause_change", args=[clause.pk]),
        reverse("admin:standards_limit_changelist"),
        reverse("admin:standards_limit_change", args=[limit.pk]),
        reverse("admin:standards_standard_changelist"),
        reverse("admin:standards_standard_change", args=[standard.pk]),
        reverse("admin:standards_clausemapping_import"),
        reverse("admin:standards_clausemapping_export"),
    ]
    report = []
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        results = axe.run(page, options=WCAG_21_AA)
        if results.violations_count:
            report.append(f"{url}\n{results.generate_report()}")
    assert not report, "\n".join(report)
