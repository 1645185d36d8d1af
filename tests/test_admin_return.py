"""The admin as editors use it from the portal: back to the pair page after saving, the
sampling plan's m and M told apart, decimals as written, and units that fit."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from standards.admin_forms import LimitForm
from standards.models import Limit
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard
from tests.test_admin import _form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    lead = make_parameter(key="lead", name_en="Lead", unit="mg/kg")
    kz = make_clause(make_standard(code="TR CU 021/2011"))
    cn = make_clause(make_standard(code="GB 2762-2022", jurisdiction="cn"))
    kz_limit = make_limit(kz, lead, value=Decimal("0.5"))
    cn_limit = make_limit(cn, lead, value=Decimal("0.2"))
    mapping = make_mapping(kz=[kz], cn=[cn], title="Lead in meat")
    return mapping, kz_limit, cn_limit


def _pair_url(mapping):
    return mapping.get_absolute_url()


def test_saving_a_mapping_opened_from_the_pair_page_returns_there(client_for, editor, pair):
    mapping, _, _ = pair
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    url += f"?next={_pair_url(mapping)}"
    data = _form_data(client.get(url))
    data.update(rationale="Both set a maximum.")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == _pair_url(mapping)
    mapping.refresh_from_db()
    assert mapping.rationale == "Both set a maximum."


def test_save_and_continue_carries_the_return_address(client_for, editor, pair):
    mapping, _, _ = pair
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    url += f"?next={_pair_url(mapping)}"
    data = _form_data(client.get(url))
    data.update(rationale="Checked.", _continue="1")
    response = client.post(url, data)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("admin:standards_clausemapping_change", args=[mapping.pk]))
    assert "next=%2Fpairs%2F" in location or f"next={_pair_url(mapping)}" in location
    # And the next plain save from there returns to the pair page.
    data = _form_data(client.get(location))
    response = client.post(location, data)
    assert response["Location"] == _pair_url(mapping)


def test_a_validation_error_keeps_the_return_address(client_for, editor, pair):
    mapping, _, _ = pair
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    url += f"?next={_pair_url(mapping)}"
    data = _form_data(client.get(url))
    data.update(status="agreed", change_reason="")
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    data.update(change_reason="Agreed at the meeting.")
    response = client.post(url, data)
    assert response["Location"] == _pair_url(mapping)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/pairs/", "javascript:alert(1)"]
)
def test_an_external_return_address_is_ignored(client_for, editor, pair, target):
    mapping, _, _ = pair
    client = client_for(editor)
    url = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    data = _form_data(client.get(url))
    response = client.post(url + "?" + f"next={target}", data)
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert not response["Location"].startswith("javascript")
    assert response["Location"].startswith(reverse("admin:standards_clausemapping_changelist"))


def test_saving_a_limit_opened_from_the_pair_page_returns_there(client_for, editor, pair):
    mapping, kz_limit, _ = pair
    client = client_for(editor)
    page = client.get(_pair_url(mapping)).content.decode()
    edit = reverse("admin:standards_limit_change", args=[kz_limit.pk])
    assert f"{edit}?next={_pair_url(mapping)}" in page
    url = f"{edit}?next={_pair_url(mapping)}"
    data = _form_data(client.get(url))
    data.update(value="0.3")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == _pair_url(mapping)
    kz_limit.refresh_from_db()
    assert kz_limit.value == Decimal("0.3")


def test_the_pair_page_edit_link_carries_the_return_address(client_for, editor, pair):
    mapping, _, _ = pair
    page = client_for(editor).get(_pair_url(mapping)).content.decode()
    edit = reverse("admin:standards_clausemapping_change", args=[mapping.pk])
    assert f"{edit}?next={_pair_url(mapping)}" in page


def test_sampling_plan_m_and_big_m_are_labelled_apart(client_for, editor, pair):
    _, kz_limit, _ = pair
    form = LimitForm(instance=kz_limit)
    m, big_m = form.fields["plan_m"], form.fields["plan_big_m"]
    assert str(m.label) != str(big_m.label)
    assert str(m.label).startswith("m ") and str(big_m.label).startswith("M ")
    assert m.help_text and big_m.help_text and str(m.help_text) != str(big_m.help_text)
    page = client_for(editor).get(reverse("admin:standards_limit_change", args=[kz_limit.pk]))
    html = page.content.decode()
    assert "m (lower threshold)" in html and "M (upper threshold)" in html


def test_decimals_show_as_written_in_the_admin(client_for, editor, pair):
    _, kz_limit, _ = pair
    kz_limit.plan_m = Decimal("100")
    kz_limit.plan_big_m = Decimal("1000.50")
    kz_limit.save()
    html = (
        client_for(editor)
        .get(reverse("admin:standards_limit_change", args=[kz_limit.pk]))
        .content.decode()
    )
    assert 'value="0.5"' in html
    assert 'value="100"' in html and 'value="1000.5"' in html
    assert "0.500000000000" not in html and "100.000000000000" not in html
    changelist = client_for(editor).get(reverse("admin:standards_limit_changelist"))
    assert "0.500000000000" not in changelist.content.decode()


def test_a_unit_that_does_not_fit_the_parameter_is_refused_by_the_model(pair):
    _, kz_limit, _ = pair
    kz_limit.unit = "CFU/g"
    with pytest.raises(ValidationError) as raised:
        kz_limit.full_clean()
    message = raised.value.message_dict["unit"][0]
    assert "CFU/g" in message and "Lead" in message
    assert "mass fraction (mg/kg, µg/kg, ppm…)" in message


def test_a_fitting_unit_passes(pair):
    _, kz_limit, _ = pair
    kz_limit.unit = "ppm"
    kz_limit.full_clean()
    absent = Limit(
        clause=kz_limit.clause,
        parameter=make_parameter(key="salmonella", unit="CFU/g"),
        kind="absent",
        value=Decimal("25"),
        unit="g",
    )
    absent.full_clean()


def test_a_unit_that_does_not_fit_the_parameter_is_refused_in_the_admin(client_for, editor, pair):
    _, kz_limit, _ = pair
    client = client_for(editor)
    url = reverse("admin:standards_limit_change", args=[kz_limit.pk])
    data = _form_data(client.get(url))
    data.update(unit="CFU/g")
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "expected a unit of mass fraction" in errors["unit"][0], errors
    kz_limit.refresh_from_db()
    assert kz_limit.unit == "mg/kg"


def test_a_limit_edit_shows_in_the_pair_history_and_the_dashboard(
    client_for, editor, regulator, pair
):
    mapping, kz_limit, _ = pair
    for n in range(12):  # more recent mapping saves than the dashboard lists
        make_mapping(title=f"Other {n}")
    client = client_for(editor)
    url = reverse("admin:standards_limit_change", args=[kz_limit.pk])
    data = _form_data(client.get(url))
    data.update(value="0.1")
    assert client.post(url, data).status_code == 302

    reader = client_for(regulator)
    dashboard = reader.get(reverse("standards:home"))
    recent = dashboard.context["recent"]
    assert recent[0] == mapping
    assert recent[0].limit_change == "Lead ≤ 0.1 mg/kg"
    html = dashboard.content.decode()
    assert "limit changed: Lead ≤ 0.1 mg/kg · verdict: China stricter → Kazakhstan stricter" in html
    assert recent[0].verdict_change == ("China stricter", "Kazakhstan stricter")

    page = reader.get(_pair_url(mapping))
    history = page.content.decode().split('id="history-heading"')[1]
    assert "Lead ≤ 0.1 mg/kg" in history
    # 0.5 against China's 0.2 was "China stricter"; 0.1 makes Kazakhstan the stricter.
    assert "verdict: China stricter → Kazakhstan stricter" in history


def test_the_dashboard_names_the_verdict_an_older_limit_edit_changed(
    client_for, editor, regulator, pair
):
    """Undone from the limits as they are now: a later edit that changes nothing in the
    verdict leaves the earlier flip on the record."""
    mapping, kz_limit, cn_limit = pair
    client = client_for(editor)
    for limit, value in ((kz_limit, "0.1"), (cn_limit, "0.15")):
        url = reverse("admin:standards_limit_change", args=[limit.pk])
        data = _form_data(client.get(url))
        data.update(value=value)
        assert client.post(url, data).status_code == 302
    [entry] = [
        m
        for m in client_for(regulator).get(reverse("standards:home")).context["recent"]
        if m.pk == mapping.pk
    ]
    # The newest edit shown is China's 0.2 → 0.15: Kazakhstan stays the stricter.
    assert entry.limit_change == "Lead ≤ 0.15 mg/kg"
    assert entry.verdict_change is None
    from standards.views.dashboard import recently_changed

    # Shown alone, the first edit (0.5 → 0.1) keeps its flip.
    Limit.history.filter(id=cn_limit.pk, history_type="~").delete()
    [entry] = [m for m in recently_changed() if m.pk == mapping.pk]
    assert entry.limit_change == "Lead ≤ 0.1 mg/kg"
    assert entry.verdict_change == ("China stricter", "Kazakhstan stricter")


@pytest.mark.parametrize("edits", [2, 12])
def test_the_recently_changed_verdicts_cost_constant_queries(
    regulator, client_for, django_assert_num_queries, edits
):
    """The limits behind the recently changed list are read in a fixed number of
    queries, however many limit edits it shows: the dashboard's 16 (tests/test_views.py),
    then 6 prefetch queries of the citing mappings' sides and 2 of the limit history
    since the oldest edit shown."""
    lead = make_parameter(key="lead", name_en="Lead", unit="mg/kg")
    for n in range(edits):
        kz = make_clause(make_standard(code=f"KZ {n}"))
        cn = make_clause(make_standard(code=f"CN {n}", jurisdiction="cn"))
        kz_limit = make_limit(kz, lead, value=Decimal("0.5"))
        make_limit(cn, lead, value=Decimal("0.2"))
        make_mapping(kz=[kz], cn=[cn], title=f"Lead {n}")
        kz_limit.value = Decimal("0.1")
        kz_limit.save()
    client = client_for(regulator)
    client.get(reverse("standards:home"))  # the session is read once
    with django_assert_num_queries(24):
        recent = client.get(reverse("standards:home")).context["recent"]
    # Each pair has three limit versions (two created, one edited): the last ten of
    # them reach back over the last four pairs, and each of their edits flipped it.
    edited = [m for m in recent if m.limit_edit is not None]
    assert len(edited) == min(edits, 4)
    assert all(m.verdict_change == ("China stricter", "Kazakhstan stricter") for m in edited)
