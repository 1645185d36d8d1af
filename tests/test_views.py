import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from standards.models import ClauseMapping, Limit
from tests.factories import make_clause, make_limit, make_mapping, make_parameter, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    lead = make_parameter(key="lead", name_en="Lead (Pb)", name_ru="Свинец", name_zh="铅")
    kz = make_clause(
        make_standard(key="tr-cu-021-2011", code="TR CU 021/2011"),
        reference="Annex 3",
        text_en="Lead in meat at most 0.5 mg/kg.",
        text_original="Свинец в мясе не более 0,5 мг/кг.",
        original_language="ru",
    )
    cn = make_clause(
        make_standard(key="gb-2762-2025", code="GB 2762-2025", jurisdiction="cn"),
        reference="Table 1",
        text_en="Lead in meat at most 0.2 mg/kg.",
        text_original="肉类中铅限量为0.2 mg/kg。",
        original_language="zh",
    )
    make_limit(kz, lead, value="0.5")
    make_limit(cn, lead, value="0.2")
    return make_mapping(
        key="KZCN-001",
        title="Lead (Pb)",
        kz=[kz],
        cn=[cn],
        alignment="cn_stricter",
        rationale="China's limit is 2.5 times lower.",
    )


@pytest.fixture
def gap():
    clause = make_clause(
        make_standard(key="tr-cu-034-2013", code="TR CU 034/2013"),
        reference="Annex 1 item I.1(b): Salmonella",
        text_en="Salmonella not allowed in 25 g.",
        text_original="Сальмонеллы не допускаются в 25 г.",
        original_language="ru",
        topic="microbiology",
    )
    return make_mapping(
        key="KZCN-019",
        title="Salmonella",
        kz=[clause],
        alignment="kz_only",
        topic="microbiology",
        product_group="heat_treated",
        status="negotiation",
    )


def portal_urls(pair):
    standard = pair.kz_clauses.first().standard
    return [
        reverse("standards:home"),
        reverse("standards:compare"),
        reverse("standards:compare") + "?product=chilled&q=lead",
        reverse("standards:standard-list"),
        reverse("standards:standard-detail", args=[standard.key]),
        reverse("standards:mapping-detail", args=[pair.key]),
        reverse("standards:search") + "?q=lead",
    ]


def keys_listed(response):
    return [mapping.key for mapping, _rows in response.context["rows"]]


def test_anonymous_is_redirected_to_login(client, pair):
    for url in portal_urls(pair):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("persona", ["regulator", "negotiator", "editor", "administrator"])
def test_every_role_reads_every_page(request, client_for, pair, persona):
    client = client_for(request.getfixturevalue(persona))
    for url in portal_urls(pair):
        assert client.get(url).status_code == 200, url


def test_a_user_without_a_role_is_refused(client_for, outsider, pair):
    client = client_for(outsider)
    for url in portal_urls(pair):
        assert client.get(url).status_code == 403, url


def test_unknown_keys_give_404(client_for, regulator):
    client = client_for(regulator)
    assert client.get(reverse("standards:standard-detail", args=["no-such"])).status_code == 404
    assert client.get(reverse("standards:mapping-detail", args=["KZCN-999"])).status_code == 404


def test_a_key_with_a_nul_byte_is_a_404_on_every_database(client_for, negotiator, pair):
    """PostgreSQL refuses a query holding a NUL: the pair pages must not ask it one."""
    client = client_for(negotiator)
    for key in ("\x00", f"{pair.key}\x00"):
        assert client.get(reverse("standards:mapping-detail", args=[key])).status_code == 404
        response = client.post(reverse("standards:note-add", args=[key]), {"text": "x"})
        assert response.status_code == 404


# --- comparison -----------------------------------------------------------------------


def test_comparison_shows_both_sides_limits_and_gaps(client_for, regulator, pair, gap):
    response = client_for(regulator).get(reverse("standards:compare"))
    assert keys_listed(response) == ["KZCN-001", "KZCN-019"]
    text = response.text
    assert "TR CU 021/2011" in text and "GB 2762-2025" in text
    assert "≤ 0.5 mg/kg" in text and "≤ 0.2 mg/kg" in text
    assert 'class="limit-differs"' in text and "China stricter, 2.5×" in text
    assert "No Chinese requirement" in text
    assert "China&#x27;s limit is 2.5 times lower." in text
    assert 'lang="ru"' in text and 'lang="zh"' in text
    assert "2 clause mappings" in text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"product": "heat_treated"}, ["KZCN-019"]),
        ({"topic": "microbiology"}, ["KZCN-019"]),
        ({"status": "negotiation"}, ["KZCN-019"]),
        ({"alignment": "cn_stricter"}, ["KZCN-001"]),
        ({"standard": "gb-2762-2025"}, ["KZCN-001"]),
        ({"confidence": "medium"}, ["KZCN-001", "KZCN-019"]),
        ({"q": "Сальмонеллы"}, ["KZCN-019"]),
        ({"q": "铅"}, ["KZCN-001"]),
        ({"q": "lead"}, ["KZCN-001"]),
        ({"q": "KZCN-019"}, ["KZCN-019"]),
        ({"sort": "-key"}, ["KZCN-019", "KZCN-001"]),
        ({"sort": "status"}, ["KZCN-001", "KZCN-019"]),
        ({"sort": "-status"}, ["KZCN-019", "KZCN-001"]),
    ],
)
def test_comparison_filters(client_for, regulator, pair, gap, params, expected):
    response = client_for(regulator).get(reverse("standards:compare"), params)
    assert response.status_code == 200
    assert keys_listed(response) == expected


def test_comparison_rejects_bad_filters_with_a_message(client_for, regulator, pair):
    response = client_for(regulator).get(
        reverse("standards:compare"), {"status": "finished", "per_page": "7"}
    )
    assert response.status_code == 400
    assert "Some filters are not valid" in response.text
    assert "Select a valid choice" in response.text


def test_comparison_paginates(client_for, regulator):
    for _ in range(30):
        make_mapping()
    client = client_for(regulator)
    response = client.get(reverse("standards:compare"), {"per_page": 25})
    assert len(keys_listed(response)) == 25
    assert "showing 1–25" in response.text
    second = client.get(reverse("standards:compare"), {"per_page": 25, "page": 2})
    assert len(keys_listed(second)) == 5
    assert client.get(reverse("standards:compare"), {"page": "999"}).status_code == 200


def test_original_texts_can_be_shown_first(client_for, regulator, pair):
    text = client_for(regulator).get(reverse("standards:compare"), {"text": "original"}).text
    assert 'data-text="en" lang="en" hidden' in text
    assert 'aria-pressed="true"' in text


def _many_mappings(n):
    kz_std = make_standard()
    cn_std = make_standard(jurisdiction="cn")
    for i in range(n):
        kz = make_clause(kz_std, reference=f"K{i}")
        cn = make_clause(cn_std, reference=f"C{i}")
        make_limit(kz)
        make_limit(cn)
        make_mapping(kz=[kz], cn=[cn], status=ClauseMapping.Status.values[i % 6])


@pytest.mark.parametrize("n", [5, 500])
def test_comparison_query_count_does_not_grow_with_rows(
    client_for, regulator, django_assert_max_num_queries, n
):
    _many_mappings(n)
    client = client_for(regulator)
    # session, user, permissions (2), count, page, then clauses + limits for each of the
    # three sides, standard choices in the filter form: 13 whatever the number of rows.
    with django_assert_max_num_queries(13):
        response = client.get(reverse("standards:compare"), {"per_page": 1000})
    assert len(keys_listed(response)) == n


@pytest.mark.parametrize("n", [5, 500])
def test_dashboard_query_count_does_not_grow(
    client_for, regulator, django_assert_max_num_queries, n
):
    _many_mappings(n)
    client = client_for(regulator)
    # session, user, permissions (2), grouped counts, recent, needing action; the next
    # round, overdue action items, the last round and its decisions; the pathways (their
    # milestones and open mappings, two more, only when there are pathways:
    # tests/test_pathways.py); the establishments due for renewal
    # (tests/test_establishments.py); the overdue corrective actions of the site visits
    # (tests/test_visits.py); for the recently changed, the last limit edits, the
    # mappings citing their clauses and those mappings with their sides (6 prefetch
    # queries), the limit edits since the oldest shown (a limit edit changes a pair).
    with django_assert_max_num_queries(23):
        response = client.get(reverse("standards:home"))
    assert response.context["totals"]["all"] == n


# --- dashboard ------------------------------------------------------------------------


def test_dashboard_counts_charts_and_lists(client_for, regulator, pair, gap):
    ClauseMapping.objects.filter(key="KZCN-001").update(status="agreed")
    response = client_for(regulator).get(reverse("standards:home"))
    totals = response.context["totals"]
    assert (totals["all"], totals["gaps"], totals["settled"]) == (2, 1, 1)
    text = response.text
    # The charts link their segments into the comparison: groups of links, not images.
    assert text.count("<svg") == 3 and text.count('class="chart" role="group"') == 3
    assert "Negotiation status by product group" in text
    needing = [m.key for m in response.context["needing_action"]]
    assert needing == ["KZCN-019"]  # the agreed mapping needs no action
    assert response.context["recent"][0].key in {"KZCN-001", "KZCN-019"}


# --- documents --------------------------------------------------------------------------


def test_standard_list_filters(client_for, regulator, pair):
    client = client_for(regulator)
    response = client.get(reverse("standards:standard-list"), {"jurisdiction": "cn"})
    assert [s.code for s in response.context["standards"]] == ["GB 2762-2025"]
    bad = client.get(reverse("standards:standard-list"), {"status": "sometimes"})
    assert bad.status_code == 400


def test_standard_page_shows_the_clause_tree_and_supersession(client_for, regulator):
    old = make_standard(key="gb-2762-2022", code="GB 2762-2022", status="superseded")
    new = make_standard(key="gb-2762-2025", code="GB 2762-2025")
    new.supersedes.add(old)
    parent = make_clause(new, reference="4", heading="Limits")
    child = make_clause(new, reference="4.1", heading="Lead", parent=parent)
    mapping = make_mapping(cn=[child])
    client = client_for(regulator)
    text = client.get(new.get_absolute_url()).text
    assert text.index("4 — Limits") < text.index("4.1 — Lead")
    assert "clause-depth-1" in text and mapping.key in text
    old_page = client.get(old.get_absolute_url()).text
    assert "This edition is superseded." in old_page and "GB 2762-2025" in old_page


# --- pair page ----------------------------------------------------------------------


def test_pair_page_shows_everything(client_for, regulator, pair):
    text = client_for(regulator).get(pair.get_absolute_url()).text
    assert "TR CU 021/2011 Annex 3" in text and "Свинец в мясе" in text and "肉类中铅" in text
    assert "≤ 0.5 mg/kg" in text and "≤ 0.2 mg/kg" in text
    assert "Sources" in text and "Change history" in text
    assert "Edit in admin" not in text


def test_pair_page_shows_the_timeline_with_reasons_first(client_for, editor, pair):
    from standards.services import set_mappings

    set_mappings(
        ClauseMapping.objects.filter(pk=pair.pk),
        "status",
        "negotiation",
        user=editor,
        reason="Opened in round 1 (Astana).",
    )
    pair.refresh_from_db()
    pair.rationale = "Updated after round 1."
    pair._change_reason = "Editorial"
    pair.save()
    response = client_for(editor).get(pair.get_absolute_url())
    text = response.text
    assert "Edit in admin" in text
    [transition] = response.context["transitions"]
    assert (str(transition["old"]), str(transition["new"])) == ("Not started", "Under negotiation")
    assert transition["reason"] == "Opened in round 1 (Astana)." and transition["who"] == "ed"
    assert "Opened in round 1 (Astana)." in text
    assert text.index("Opened in round 1") < text.index("Updated after round 1") or (
        "rationale" in text
    )
    assert any("rationale" in [str(f) for f in c["fields"]] for c in response.context["changes"])


def test_pair_page_of_a_mapping_without_history(client_for, regulator, pair):
    # Mappings created in bulk (generate_synthetic) have no history rows, nor have their
    # clauses' limits.
    pair.history.all().delete()
    Limit.history.all().delete()
    response = client_for(regulator).get(pair.get_absolute_url())
    assert response.status_code == 200
    assert response.context["transitions"] == [] and response.context["changes"] == []


def test_pair_page_timeline_is_capped(client_for, regulator, pair):
    from standards.history import timeline

    for n in range(4):
        pair.rationale = f"Revision {n}"
        pair.save()
    _transitions, changes = timeline(pair, limit=3)
    assert len(changes) == 3 and not any(c["created"] for c in changes)
    _transitions, changes = timeline(pair, limit=20)
    # Created, then its two clause sets set, then four revisions; and its two limits.
    own = [c for c in changes if not c["subject"]]
    assert len(own) == 7 and own[-1]["created"]
    assert len(changes) == 9


def test_gap_page_shows_the_empty_side(client_for, regulator, gap):
    text = client_for(regulator).get(gap.get_absolute_url()).text
    assert "No Chinese requirement" in text


# --- search ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Salmonella", "сальмонелл", "САЛЬМОНЕЛЛЫ", "I.1(b)", "034/2013"])
def test_search_finds_clauses_in_every_language(client_for, regulator, gap, query):
    response = client_for(regulator).get(reverse("standards:search"), {"q": query})
    assert response.status_code == 200
    assert [c.reference for c in response.context["page"]] == ["Annex 1 item I.1(b): Salmonella"]
    assert "KZCN-019" in response.text


def test_search_finds_chinese_text(client_for, regulator, pair):
    response = client_for(regulator).get(reverse("standards:search"), {"q": "肉类中铅"})
    assert [c.reference for c in response.context["page"]] == ["Table 1"]


@pytest.mark.parametrize("query", ["铅", "Pb"])
def test_search_shorter_than_a_trigram(client_for, regulator, pair, query):
    # Both clauses limit lead, whose names (铅, Lead (Pb)) are in their search text.
    response = client_for(regulator).get(reverse("standards:search"), {"q": query})
    assert len(response.context["page"]) == 2
    assert {c.standard.jurisdiction for c in response.context["page"]} == {"kz", "cn"}


def test_search_without_a_match_or_with_bad_input(client_for, regulator, pair):
    client = client_for(regulator)
    assert "No clause matches" in client.get(reverse("standards:search"), {"q": "xyzzy"}).text
    assert (
        client.get(reverse("standards:search"), {"q": "!!!"}).context["page"].paginator.count == 0
    )
    assert client.get(reverse("standards:search"), {"q": ""}).status_code == 400
    assert client.get(reverse("standards:search"), {"q": "x" * 500}).status_code == 400


# --- general ---------------------------------------------------------------------------


def test_user_text_is_escaped(client_for, regulator):
    mapping = make_mapping(key="KZCN-777", title="<script>alert(1)</script>")
    for url in (mapping.get_absolute_url(), reverse("standards:compare")):
        text = client_for(regulator).get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_login_page_and_logout(client, regulator):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "reg", "password": "pw-reg"})
    assert response.status_code == 302
    assert client.get(reverse("standards:home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("standards:home")).status_code == 302


def test_login_is_csrf_protected(regulator):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "reg", "password": "pw-reg"})
    assert response.status_code == 403


def test_language_switch_translates_the_navigation(client_for, regulator):
    client = client_for(regulator)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    text = client.get(reverse("standards:home")).text
    assert '<html lang="zh-hans">' in text
    assert "比较" in text  # "Comparison" in the navigation


@pytest.mark.parametrize("n", [5, 200])
def test_search_and_filtered_comparison_query_counts_do_not_grow(
    client_for, regulator, django_assert_max_num_queries, n
):
    _many_mappings(n)
    client = client_for(regulator)
    # session, user, permissions (2), the glossary, the clauses a key cites, count, page
    # of clauses with their standard, their limits, then the mappings citing them on each
    # of the three sides, the reader's unread notifications; on PostgreSQL the matching
    # ids are read first (standards/views/search.py).
    with django_assert_max_num_queries(13 + (connection.vendor == "postgresql")):
        response = client.get(reverse("standards:search"), {"q": "clause"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 2 * n
    # The comparison searched and filtered by status: as unfiltered (13), and the glossary.
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("standards:compare"), {"q": "working text", "status": "not_started"}
        )
    assert len(keys_listed(response)) == len(range(0, n, 6))
