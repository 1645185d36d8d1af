"""One history diff (standards.history) for the pair page and the admin, one source of
the comparison markup (standards.rows) for every page and report, and pinned query
counts for the pages that list many records."""

import re

import pytest
from django.urls import reverse

from standards.history import timeline
from standards.models import ClauseMapping, Limit
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard
from tests.test_views import _many_mappings

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    lead = make_parameter(key="lead", name_en="Lead (Pb)", name_zh="铅")
    kz = make_clause(make_standard(code="TR CU 021/2011"), reference="Annex 3")
    cn = make_clause(make_standard(code="GB 2762-2025", jurisdiction="cn"), reference="3.1")
    make_limit(kz, lead, value="0.5")
    make_limit(cn, lead, value="0.2")
    return make_mapping(key="KZCN-001", kz=[kz], cn=[cn], alignment="cn_stricter")


def test_timeline_shows_clause_set_and_limit_changes(client_for, editor, pair):
    other = make_clause(make_standard(code="GB 2707-2016", jurisdiction="cn"), reference="3.3")
    pair.cn_clauses.add(other)
    limit = Limit.objects.get(clause__reference="Annex 3")
    limit.value = "0.3"
    limit.save()
    _transitions, changes = timeline(ClauseMapping.objects.for_list().get(pk=pair.pk))
    labels = [label for change in changes for label in change["fields"]]
    assert any("Chinese clauses" in label and "+ GB 2707-2016 3.3" in label for label in labels)
    [changed_limit] = [c for c in changes if c["subject"] and not c["created"]]
    assert changed_limit["subject"] == "Lead (Pb) ≤ 0.3 mg/kg" and changed_limit["fields"] == [
        "value"
    ]
    text = client_for(editor).get(pair.get_absolute_url()).text
    assert "Lead (Pb) ≤ 0.3 mg/kg: value" in text
    assert "+ GB 2707-2016 3.3" in text
    limit.delete()
    _transitions, changes = timeline(ClauseMapping.objects.for_list().get(pk=pair.pk))
    assert changes[0]["deleted"] and changes[0]["subject"] == "Lead (Pb) ≤ 0.3 mg/kg"


def test_admin_conflict_message_names_who_changed_which_fields(client_for, editor, pair):
    """The admin's "someone else saved this" uses the same diff as the timeline."""
    from standards.admin_forms import MappingForm

    loaded = ClauseMapping.objects.get(pk=pair.pk).updated_at.isoformat()
    other = ClauseMapping.objects.get(pk=pair.pk)
    other.rationale, other.proposed_action = "Changed meanwhile.", "Ask again."
    other._history_user = editor
    other.save()
    mapping = ClauseMapping.objects.get(pk=pair.pk)
    data = {
        f.name: getattr(mapping, f.attname)
        for f in ClauseMapping._meta.concrete_fields
        if f.editable and f.name != "id"
    }
    data.update(loaded_version=loaded, kz_clauses=[], cn_clauses=[], reference_clauses=[])
    form = MappingForm(data, instance=mapping)
    assert not form.is_valid()
    [message] = form.non_field_errors()
    assert "(ed, changing: proposed action, rationale)" in message


def fragment(html, start):
    """The first element that starts with `start`, up to its closing tag."""
    begin = html.index(start)
    tag = re.match(r"<(\w+)", start).group(1)
    return html[begin : html.index(f"</{tag}>", begin) + len(tag) + 3]


def test_pair_page_and_comparison_share_the_limits_markup(client_for, regulator, pair):
    client = client_for(regulator)
    compare = client.get(reverse("standards:compare")).text
    page = client.get(pair.get_absolute_url()).text
    table = fragment(page, '<table class="table table-sm mb-2 table-headers-nowrap table-cards">')
    assert "≤ 0.5 mg/kg" in table and "China stricter, 2.5×" in table
    assert table in compare
    computed = fragment(page, '<p class="small mb-2 computed-alignment')
    assert computed in compare
    badges = fragment(page, '<span class="badge badge-alignment')
    assert badges in compare


def test_report_verdicts_come_from_the_same_source(client_for, regulator, pair):
    text = client_for(regulator).get(reverse("standards:report-html"), {"gaps": "0"}).text
    assert "<strong>China stricter, 2.5×</strong>" in text


# --- pinned query counts -----------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 60])
def test_standards_list_query_count_does_not_grow(
    client_for, regulator, django_assert_num_queries, n
):
    for _ in range(n):
        make_standard()
    client = client_for(regulator)
    client.get(reverse("standards:standard-list"))  # the session is read once per test
    # session, user, permissions (2), the standards with their clause counts, the
    # documents superseding each, the reader's unread notifications.
    with django_assert_num_queries(7):
        response = client.get(reverse("standards:standard-list"))
    assert len(response.context["standards"]) == n


@pytest.mark.parametrize("extra", [0, 20])
def test_pair_page_query_count_does_not_grow(
    client_for, regulator, django_assert_num_queries, pair, extra
):
    for n in range(extra):
        pair.rationale = f"Revision {n}"
        pair.save()
        make_limit(pair.kz_clauses.get(), value=str(n + 1))
    client = client_for(regulator)
    # session, user, permissions (2), the mapping, then the clauses (with their
    # standards) and their limits (with their parameters) of each side (5: no reference
    # clause, so no limits to fetch for it), the mapping's history, the clause sets of
    # its records (3), the clauses those name, the history of its clauses' limits, the
    # reader's delegation, the notes they may read, its re-review flags, whether the
    # reader watches the mapping, the reader's unread notifications.
    with django_assert_num_queries(21):
        response = client.get(pair.get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("n", [5, 200])
def test_html_report_query_count_does_not_grow(client_for, regulator, django_assert_num_queries, n):
    _many_mappings(n)
    client = client_for(regulator)
    # session, user, permissions (2), the count against the cap, the data version (one
    # aggregate per table: 6), the mappings, then the clauses and limits of each side (5:
    # no reference clauses, so no limits to fetch for them); the reader's delegation (the
    # classifications they may choose), keeping the fingerprint the page shows and the
    # reader's unread notifications.
    with django_assert_num_queries(20):
        response = client.get(reverse("standards:report-html"), {"gaps": "0"})
    assert response.context["report"]["count"] == n


# --- charts ------------------------------------------------------------------------------


def test_dashboard_charts_share_one_label_width(pair):
    from standards.charts import MAX_LABEL_WIDTH, shared_label_width, text_width
    from standards.views.dashboard import dashboard_context

    short, long = [("Chilled meat", {})], [("Veterinary drug and pesticide residues", {})]
    assert shared_label_width(short, long) == shared_label_width(long) > shared_label_width(short)
    assert shared_label_width([("x" * 500, {})]) == MAX_LABEL_WIDTH
    context = dashboard_context()
    widest = max(
        text_width(str(label)) for chart in context["charts"] for label, *_ in chart["rows"]
    )
    starts = {
        re.search(r'<rect x="([\d.]+)"', chart["svg"]).group(1) for chart in context["charts"]
    }
    assert starts == {f"{float(min(MAX_LABEL_WIDTH, 20 + widest))}"}


def test_comparison_row_truncates_a_long_rationale(client_for, regulator, pair):
    pair.rationale = " ".join(f"w{n}" for n in range(70))
    pair.save()
    text = client_for(regulator).get(reverse("standards:compare")).text
    assert "w58 w59…</span></p>" in text and "w60" not in text
    pair.rationale = "Short   rationale\nhere."
    pair.save()
    text = client_for(regulator).get(reverse("standards:compare")).text
    assert "Short rationale here.</span></p>" in text
