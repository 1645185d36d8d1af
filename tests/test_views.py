import pytest
from django.urls import reverse

from tests.factories import make_clause, make_limit, make_mapping, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    kz = make_clause(
        make_standard(key="tr-cu-021-2011", code="TR CU 021/2011"),
        reference="Annex 3",
        text_en="Lead in meat at most 0.5 mg/kg.",
        text_original="Свинец в мясе не более 0,5 мг/кг.",
        original_language="ru",
    )
    make_limit(kz)
    return make_mapping(key="KZCN-001", title="Lead (Pb)", kz=[kz], alignment="kz_only")


def portal_urls(mapping):
    standard = mapping.kz_clauses.first().standard
    return [
        reverse("standards:home"),
        reverse("standards:standard-detail", args=[standard.key]),
        reverse("standards:mapping-detail", args=[mapping.key]),
    ]


def test_anonymous_is_redirected_to_login(client, pair):
    for url in portal_urls(pair):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("persona", ["regulator", "negotiator", "editor", "administrator"])
def test_every_role_reads_the_portal(request, client_for, pair, persona):
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


def test_pair_page_shows_both_sides_and_the_gap(client_for, regulator, pair):
    response = client_for(regulator).get(pair.get_absolute_url())
    text = response.text
    assert "TR CU 021/2011 Annex 3" in text
    assert 'lang="ru"' in text and "Свинец в мясе" in text
    assert "≤ 0.5 mg/kg" in text
    assert "No Chinese requirement" in text
    assert "Edit in admin" not in text


def test_pair_page_offers_admin_editing_to_editors(client_for, editor, pair):
    assert "Edit in admin" in client_for(editor).get(pair.get_absolute_url()).text


def test_standard_page_lists_clauses_with_their_mappings(client_for, regulator, pair):
    standard = pair.kz_clauses.first().standard
    text = client_for(regulator).get(standard.get_absolute_url()).text
    assert "Annex 3" in text and "KZCN-001" in text


def test_user_text_is_escaped(client_for, regulator):
    mapping = make_mapping(key="KZCN-777", title="<script>alert(1)</script>")
    text = client_for(regulator).get(mapping.get_absolute_url()).text
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
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "reg", "password": "pw-reg"})
    assert response.status_code == 403
