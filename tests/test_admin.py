import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from standards.models import (
    ActionItem,
    CatalogueCondition,
    CatalogueEntry,
    Clause,
    ClauseMapping,
    CorrectiveAction,
    DelegationMember,
    Establishment,
    Finding,
    GlossaryTerm,
    Limit,
    Milestone,
    NegotiationNote,
    Notification,
    Parameter,
    Pathway,
    Round,
    SiteVisit,
    Standard,
    VisitedSite,
    Watch,
    WatchPreference,
    Zone,
    ZoneDecision,
)
from tests.factories import make_clause, make_limit, make_mapping, make_standard

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = [
    Standard,
    Clause,
    ClauseMapping,
    Limit,
    Parameter,
    Round,
    ActionItem,
    Pathway,
    Milestone,
    Establishment,
    SiteVisit,
    VisitedSite,
    Finding,
    CorrectiveAction,
    Zone,
    ZoneDecision,
    CatalogueEntry,
    CatalogueCondition,
]


@pytest.fixture
def one_of_each():
    kz = make_clause(make_standard(code="TR CU 034/2013"), reference="Annex 1 item I.1(b)")
    cn = make_clause(
        make_standard(code="GB 2707-2016", jurisdiction="cn"),
        reference="3.3",
        text_original="挥发性盐基氮 ≤ 15 mg/100 g",
        original_language="zh",
    )
    limit = make_limit(cn)
    mapping = make_mapping(kz=[kz], cn=[cn], title="Volatile basic nitrogen")
    round_ = Round.objects.create(number=1, title="Round 1, Astana", source="test")
    round_.agenda.set([mapping])
    round_.decisions.create(text="Methods to be compared", outcome="deferred")
    action = round_.action_items.create(what="Send the method", owner_side="kz")
    pathway = Pathway.objects.create(key="beef-frozen", title="Frozen beef", species="cattle")
    pathway.mappings.set([mapping])
    pathway.rounds.set([round_])
    milestone = pathway.milestones.create(stage=Milestone.Stage.APPLICATION, owner_side="kz")
    visit = SiteVisit.objects.create(
        key="gacc-review",
        title="GACC review",
        purpose="country_review",
        inspecting_body="GACC",
        status="report_pending",
        findings_state="recorded",
        source="test",
        milestone=milestone,
    )
    visit.pathways.set([pathway])
    site = visit.sites.create(site_type="slaughterhouse", name="Plant 1", region="abai")
    visit.team.create(name="Expert", organisation="GACC", role="lead", side="cn")
    visit.checklist.create(requirement="Ante-mortem inspection", topic="inspection", clause=cn)
    finding = visit.findings.create(text="Records missing", severity="isolated", site=site)
    finding.mappings.set([mapping])
    corrective = finding.actions.create(action="Keep records", owner_side="kz")
    establishment = Establishment.objects.create(key="almaty-meat", name="Almaty Meat")
    zone = Zone.objects.create(key="south", name="South")
    zone.units.create(region="almaty_region")
    decision = ZoneDecision.objects.create(
        zone=zone, disease="fmd", kind="ban", year=2022, source="test"
    )
    entry = CatalogueEntry.objects.create(
        key="beef", product="Frozen beef", species="cattle", status="admitted", source="test"
    )
    entry.zones.set([zone])
    condition = entry.conditions.create(parameter=limit.parameter, kind="prohibited")
    return {
        Zone: zone,
        ZoneDecision: decision,
        CatalogueEntry: entry,
        CatalogueCondition: condition,
        Establishment: establishment,
        SiteVisit: visit,
        VisitedSite: site,
        Finding: finding,
        CorrectiveAction: corrective,
        Pathway: pathway,
        Milestone: milestone,
        Round: round_,
        ActionItem: action,
        Standard: kz.standard,
        Clause: cn,
        ClauseMapping: mapping,
        Limit: limit,
        Parameter: limit.parameter,
    }


def admin_urls(objects):
    for model in DOMAIN_MODELS:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        yield reverse(f"{prefix}_add")
        yield reverse(f"{prefix}_change", args=[objects[model].pk])
        yield reverse(f"{prefix}_history", args=[objects[model].pk])


def test_every_domain_model_is_registered():
    registered = {m for m in admin.site._registry if m._meta.app_label == "standards"}
    # Watches, digest preferences and notifications: read-only, for administrators.
    users_own = {Watch, WatchPreference, Notification}
    assert registered == {
        *DOMAIN_MODELS,
        NegotiationNote,
        DelegationMember,
        GlossaryTerm,
        *users_own,
    }


def test_editor_opens_every_changelist_and_form(client_for, editor, one_of_each):
    client = client_for(editor)
    for url in admin_urls(one_of_each):
        assert client.get(url).status_code == 200, url


def test_regulator_is_refused_the_admin(client_for, regulator, one_of_each):
    client = client_for(regulator)
    for url in [reverse("admin:index"), *admin_urls(one_of_each)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_anonymous_is_sent_to_login(client, one_of_each):
    for url in admin_urls(one_of_each):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_editor_cannot_manage_users_but_administrator_can(client_for, editor, administrator):
    url = reverse("admin:auth_user_changelist")
    assert client_for(editor).get(url).status_code == 403
    assert client_for(administrator).get(url).status_code == 200


def test_mapping_search_finds_clause_texts_in_any_language(client_for, editor, one_of_each):
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_changelist")
    assert one_of_each[ClauseMapping].key in client.get(url, {"q": "挥发性盐基氮"}).text
    assert one_of_each[ClauseMapping].key in client.get(url, {"q": "GB 2707"}).text
    assert "0 clause mappings" in client.get(url, {"q": "no such text"}).text


def test_clause_search_by_reference(client_for, editor, one_of_each):
    url = reverse("admin:standards_clause_changelist")
    response = client_for(editor).get(url, {"q": "I.1(b)"})
    assert "Annex 1 item I.1(b)" in response.text
    assert "GB 2707-2016 3.3" not in response.text


def test_mapping_filters(client_for, editor):
    kz = make_clause()
    cn = make_clause(make_standard(jurisdiction="cn"))
    gap = make_mapping(kz=[kz], title="Only Kazakh", alignment="kz_only")
    pair = make_mapping(kz=[kz], cn=[cn], title="Both sides", status="agreed")
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_changelist")

    def keys(params):
        result = client.get(url, params).context["cl"].result_list
        return {m.key for m in result}

    assert keys({"gap": "cn"}) == {gap.key}
    assert keys({"gap": "none"}) == {pair.key}
    assert keys({"status__exact": "agreed"}) == {pair.key}
    assert keys({"alignment__exact": "kz_only"}) == {gap.key}
    assert keys({"jurisdiction": "cn"}) == {pair.key}


def test_bulk_status_action_records_who_changed(client_for, editor):
    first, second = make_mapping(), make_mapping()
    response = client_for(editor).post(
        reverse("admin:standards_clausemapping_changelist"),
        {
            "action": "set_status_technical_review",
            "_selected_action": [first.pk, second.pk],
            "reason": "Round 3: both sides asked for a technical review.",
        },
        follow=True,
    )
    assert response.status_code == 200
    for mapping in (first, second):
        mapping.refresh_from_db()
        assert mapping.status == "technical_review"
        assert mapping.updated_by == editor
        latest = mapping.history.first()
        assert latest.history_change_reason == "Round 3: both sides asked for a technical review."
        assert latest.history_user == editor
        assert latest.prev_record.status == "not_started"


def test_bulk_status_action_without_a_reason_changes_nothing(client_for, editor):
    mapping = make_mapping()
    before = mapping.history.count()
    response = client_for(editor).post(
        reverse("admin:standards_clausemapping_changelist"),
        {"action": "set_status_agreed", "_selected_action": [mapping.pk], "reason": ""},
        follow=True,
    )
    assert "Give a reason" in response.text
    mapping.refresh_from_db()
    assert mapping.status == "not_started" and mapping.history.count() == before


def test_regulator_cannot_run_bulk_actions(client_for, regulator):
    mapping = make_mapping()
    client_for(regulator).post(
        reverse("admin:standards_clausemapping_changelist"),
        {"action": "set_status_agreed", "_selected_action": [mapping.pk]},
    )
    mapping.refresh_from_db()
    assert mapping.status == "not_started"


def test_saving_a_mapping_in_the_admin_records_the_editor(client_for, editor, one_of_each):
    mapping = one_of_each[ClauseMapping]
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    response = client_for(editor).post(
        url,
        {
            "key": mapping.key,
            "title": "Volatile basic nitrogen (TVB-N)",
            "product_group": "chilled",
            "topic": "physico_chemical",
            "confidence": "medium",
            "kz_clauses": [c.pk for c in mapping.kz_clauses.all()],
            "cn_clauses": [c.pk for c in mapping.cn_clauses.all()],
            "alignment": "cn_only",
            "status": "technical_review",
            "rationale": "Only China sets a TVB-N criterion.",
            "proposed_action": "",
            "responsible_side": "kz",
            "target_date": "2027-03-01",
            "notes": "",
            "change_reason": "Agreed at the technical meeting of 2026-11-20.",
            "loaded_version": mapping.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    mapping.refresh_from_db()
    assert mapping.title == "Volatile basic nitrogen (TVB-N)"
    assert mapping.updated_by == editor
    assert mapping.status == "technical_review"
    latest = mapping.history.first()
    assert latest.history_change_reason == "Agreed at the technical meeting of 2026-11-20."
    assert latest.history_user == editor


def test_changing_status_in_the_admin_requires_a_reason(client_for, editor, one_of_each):
    mapping = one_of_each[ClauseMapping]
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    data = {
        "key": mapping.key,
        "title": mapping.title,
        "product_group": "chilled",
        "topic": "contaminants",
        "confidence": "medium",
        "kz_clauses": [c.pk for c in mapping.kz_clauses.all()],
        "cn_clauses": [c.pk for c in mapping.cn_clauses.all()],
        "alignment": "not_assessed",
        "status": "agreed",
        "rationale": "",
        "proposed_action": "",
        "responsible_side": "",
        "target_date": "",
        "notes": "",
        "change_reason": "",
        "loaded_version": mapping.updated_at.isoformat(),
    }
    response = client_for(editor).post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors.get("change_reason") == ["Say why the negotiation status changed."], errors
    mapping.refresh_from_db()
    assert mapping.status == "not_started"


def test_history_can_be_viewed_and_a_revert_is_recorded(client_for, editor, one_of_each):
    mapping = one_of_each[ClauseMapping]
    mapping.status = "agreed"
    mapping._change_reason = "Agreed in round 2."
    mapping.save()
    original = mapping.history.filter(status="not_started").first()
    client = client_for(editor)
    history = client.get(reverse("admin:standards_clausemapping_history", args=[mapping.pk]))
    assert history.status_code == 200 and "Agreed in round 2." in history.text
    revert_url = reverse(
        "admin:standards_clausemapping_simple_history", args=[mapping.pk, original.history_id]
    )
    form = client.get(revert_url)
    assert form.status_code == 200
    before = mapping.history.count()
    data = {
        **{k: v for k, v in form.context["adminform"].form.initial.items() if v is not None},
        "kz_clauses": [c.pk for c in mapping.kz_clauses.all()],
        "cn_clauses": [c.pk for c in mapping.cn_clauses.all()],
        "reference_clauses": [],
        "change_reason": "Reverted: the agreement was not confirmed.",
        # The revert form carries the current version, not the reverted record's.
        "loaded_version": form.context["adminform"].form["loaded_version"].value(),
    }
    assert data["loaded_version"] == mapping.updated_at.isoformat()
    data = {k: v for k, v in data.items() if k not in ("id", "updated_by", "sheet_row")}
    response = client.post(revert_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    mapping.refresh_from_db()
    assert mapping.status == "not_started"
    assert mapping.history.count() > before
    assert (
        mapping.history.first().history_change_reason
        == "Reverted: the agreement was not confirmed."
    )


def test_admin_changelists_stay_within_a_fixed_number_of_queries(
    client_for, editor, django_assert_max_num_queries
):
    standard = make_standard()
    for i in range(30):
        clause = make_clause(standard, reference=f"{i}.1")
        make_limit(clause)
        make_mapping(kz=[clause])
    client = client_for(editor)
    for model in DOMAIN_MODELS:
        url = reverse(f"admin:standards_{model._meta.model_name}_changelist")
        # session, user, permissions, count, page rows, filters' choices: no per-row queries
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200


def _form_data(response):
    """The change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = value
    return data


def test_the_second_of_two_concurrent_saves_is_refused(
    client_for, editor, administrator, one_of_each
):
    mapping = one_of_each[ClauseMapping]
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    first, second = client_for(editor), None
    from django.test import Client

    second = Client()
    second.force_login(administrator)
    first_data = _form_data(first.get(url))
    second_data = _form_data(second.get(url))

    first_data.update(rationale="China's TVB-N limit has no EAEU counterpart.")
    assert first.post(url, first_data).status_code == 302

    second_data.update(
        rationale="Overwrite attempt.", status="agreed", change_reason="Agreed in round 4."
    )
    response = second.post(url, second_data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert (
        "Someone else saved this clause mapping after you opened it (ed, changing: rationale"
        in errors[0]
    )
    mapping.refresh_from_db()
    assert mapping.rationale == "China's TVB-N limit has no EAEU counterpart."
    assert mapping.status == "not_started"
    # Opening the form again gives the new version, which then saves.
    fresh = _form_data(second.get(url))
    fresh.update(status="agreed", change_reason="Agreed in round 4.")
    assert second.post(url, fresh).status_code == 302
    mapping.refresh_from_db()
    assert mapping.status == "agreed"
    assert mapping.rationale == "China's TVB-N limit has no EAEU counterpart."


def _mapping_form_data(mapping, **changes):
    from standards.admin_forms import MappingForm

    form = MappingForm(instance=mapping)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("kz_clauses", "cn_clauses", "reference_clauses"):
            value = [c.pk for c in value]
        data[name] = "" if value is None else value
    return {**data, **changes}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks: SQLite has none and lets one writer at a time in anyway",
)
@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_instant_cannot_both_pass_the_version_check():
    """The check and the save are one step: the second form waits for the first one's
    transaction, then sees its change and is refused."""
    import threading
    import time

    from django.db import connections, transaction

    from standards.admin_forms import MappingForm

    mapping = make_mapping(kz=[make_clause()], title="Lead")
    first_data = _mapping_form_data(mapping, rationale="First editor's text.")
    second_data = _mapping_form_data(mapping, rationale="Second editor's text.")
    first_checked, outcome = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                form = MappingForm(first_data, instance=ClauseMapping.objects.get(pk=mapping.pk))
                outcome["first_valid"] = form.is_valid()
                first_checked.set()
                time.sleep(0.5)  # the second editor's save arrives now
                form.save()
        finally:
            first_checked.set()
            connections.close_all()

    def second():
        try:
            first_checked.wait(5)
            with transaction.atomic():
                form = MappingForm(second_data, instance=ClauseMapping.objects.get(pk=mapping.pk))
                outcome["second_valid"] = form.is_valid()
                if outcome["second_valid"]:
                    form.save()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome == {"first_valid": True, "second_valid": False}
    mapping.refresh_from_db()
    assert mapping.rationale == "First editor's text."
