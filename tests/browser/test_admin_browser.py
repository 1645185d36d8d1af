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


def _assert_pages_accessible(page, live_server, axe, urls):
    from tests.browser.conftest import WCAG_21_AA

    report = []
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        results = axe.run(page, options=WCAG_21_AA)
        if results.violations_count:
            report.append(f"{url}\n{results.generate_report()}")
    assert not report, "\n".join(report)


def test_an_open_autocomplete_dropdown_is_accessible(
    page,
    live_server,
    data,  # noqa: F811
    django_user_model,
    axe,
):
    from tests.browser.conftest import WCAG_21_AA

    _log_in_editor(page, live_server, django_user_model)
    limit = Limit.objects.get()
    page.goto(f"{live_server.url}{reverse('admin:standards_limit_change', args=[limit.pk])}")
    page.locator(".field-clause .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    expect(search).to_have_attribute("aria-label", "Clause")
    search.fill("Art")
    expect(page.locator(".select2-results__option--highlighted")).to_be_visible()
    results = axe.run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def test_market_access_admin_pages_are_accessible(
    page,
    live_server,
    data,  # noqa: F811
    django_user_model,
    axe,
):
    import datetime

    from standards.models import (
        CatalogueEntry,
        Establishment,
        Finding,
        SiteVisit,
        Zone,
        ZoneDecision,
    )

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
    finding = Finding.objects.create(
        visit=visit, text="Movement controls not recorded", severity="systemic"
    )
    entry = CatalogueEntry.objects.create(
        key="beef-frozen", product="Frozen beef", species="cattle", status="admitted", source="t"
    )
    zone = Zone.objects.create(key="south", name="South")
    decision = ZoneDecision.objects.create(
        zone=zone, kind="china_recognition", disease="fmd", year=2024, source="s"
    )
    _log_in_editor(page, live_server, django_user_model)
    _assert_pages_accessible(
        page,
        live_server,
        axe,
        [
            reverse("admin:standards_sitevisit_change", args=[visit.pk]),
            reverse("admin:standards_finding_change", args=[finding.pk]),
            reverse("admin:standards_establishment_change", args=[establishment.pk]),
            reverse("admin:standards_catalogueentry_change", args=[entry.pk]),
            reverse("admin:standards_zonedecision_change", args=[decision.pk]),
        ],
    )


def test_an_autocomplete_box_is_named_as_soon_as_it_is_drawn(
    page,
    live_server,
    data,  # noqa: F811
    django_user_model,
):
    """select2 draws its boxes from jQuery's ready handler, which may run after the page's
    load event: the names are set before anything else runs, not on a later frame, so
    nothing (a screen reader, an accessibility check) meets an unnamed box. A box in a
    tabular inline is named by its column header, chosen value or not."""
    _log_in_editor(page, live_server, django_user_model)
    clause = data["mapping"].cn_clauses.get()
    page.goto(f"{live_server.url}{reverse('admin:standards_clause_change', args=[clause.pk])}")
    names = page.evaluate(
        """async () => {
            const $ = django.jQuery, boxes = $(".admin-autocomplete").not("[name*=__prefix__]");
            boxes.select2("destroy");
            boxes.djangoAdminSelect2();
            await Promise.resolve();
            return [...document.querySelectorAll(".select2-selection--single")].map(
                (box) => box.getAttribute("aria-labelledby"));
        }"""
    )
    assert len(names) == 3, names
    assert names[:2] == [
        "id_standard-label select2-id_standard-container",
        "id_parent-label select2-id_parent-container",
    ]
    header_id = names[2].split()[0]
    assert names[2] == f"{header_id} select2-id_limits-0-parameter-container"
    assert page.locator(f"#{header_id}").text_content().strip() == "Parameter"
