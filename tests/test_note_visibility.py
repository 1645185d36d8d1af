"""Shared and internal negotiation notes (standards/notes.py): who reads them on the pair
page and in the admin, who may record them, and which reports carry them, in every
format."""

import csv
import datetime
import io

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from standards.models import DelegationMember, NegotiationNote
from standards.reports.fingerprint import data_version
from standards.reports.render import produce
from standards.reports.selection import selection_from
from standards.roles import NEGOTIATOR
from standards.services import assign_role
from tests.factories import make_clause, make_mapping

pytestmark = pytest.mark.django_db

SHARED_TEXT = "Both sides accept n=5, c=0."
INTERNAL_KZ = "KZ fallback: accept 0.3 mg/kg if pressed."
INTERNAL_CN = "CN red line: no change below 0.2 mg/kg."


def member(user, delegation):
    DelegationMember.objects.create(user=user, delegation=delegation)
    return user


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mapping(negotiator):
    mapping = make_mapping(key="KZCN-900", kz=[make_clause()], status="negotiation")
    day = datetime.date(2026, 9, 1)
    common = {"mapping": mapping, "date": day, "author": negotiator, "meeting": "Round 3"}
    NegotiationNote.objects.create(side="joint", text=SHARED_TEXT, visibility="shared", **common)
    NegotiationNote.objects.create(side="kz", text=INTERNAL_KZ, visibility="internal", **common)
    NegotiationNote.objects.create(side="cn", text=INTERNAL_CN, visibility="internal", **common)
    return mapping


@pytest.fixture
def cn_negotiator(db):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("neg-cn", password="x")
    assign_role(user, NEGOTIATOR)
    return member(user, "cn")


def test_new_notes_are_internal_unless_said_otherwise():
    assert NegotiationNote._meta.get_field("visibility").default == "internal"


def test_the_pair_page_shows_each_reader_the_notes_they_may_read(
    mapping, regulator, negotiator, cn_negotiator
):
    member(negotiator, "kz")
    pages = {
        "no delegation": client_of(regulator).get(mapping.get_absolute_url()).text,
        "kz": client_of(negotiator).get(mapping.get_absolute_url()).text,
        "cn": client_of(cn_negotiator).get(mapping.get_absolute_url()).text,
    }
    assert all(SHARED_TEXT in page for page in pages.values())
    assert INTERNAL_KZ not in pages["no delegation"] and INTERNAL_CN not in pages["no delegation"]
    assert INTERNAL_KZ in pages["kz"] and INTERNAL_CN not in pages["kz"]
    assert INTERNAL_CN in pages["cn"] and INTERNAL_KZ not in pages["cn"]


def test_the_admin_list_hides_the_other_delegations_internal_notes(mapping, editor):
    member(editor, "cn")
    page = client_of(editor).get(reverse("admin:standards_negotiationnote_changelist")).text
    assert page.count("KZCN-900") == 2  # the shared note and the Chinese internal one


def post_note(client, mapping, **fields):
    data = {"side": "kz", "meeting": "Round 4", "date": "2026-11-20", "text": "Position."}
    return client.post(reverse("standards:note-add", args=[mapping.key]), {**data, **fields})


def test_only_a_delegation_member_records_an_internal_note_and_only_for_their_side(
    mapping, negotiator
):
    client = client_of(negotiator)
    assert post_note(client, mapping, visibility="internal").status_code == 400
    member(negotiator, "kz")
    refused = post_note(client, mapping, visibility="internal", side="cn")
    assert refused.status_code == 400
    assert "your own delegation" in refused.text
    assert post_note(client, mapping, visibility="internal", side="kz").status_code == 302
    assert NegotiationNote.objects.filter(visibility="internal", side="kz").count() == 2


def test_a_visibility_is_required(mapping, negotiator):
    response = post_note(client_of(negotiator), mapping)
    assert response.status_code == 400
    assert not NegotiationNote.objects.filter(meeting="Round 4").exists()


def test_a_correction_keeps_the_visibility_of_the_note_it_corrects(mapping, negotiator):
    member(negotiator, "kz")
    internal = NegotiationNote.objects.get(text=INTERNAL_KZ)
    client = client_of(negotiator)
    response = post_note(client, mapping, visibility="shared", corrects=internal.pk)
    assert response.status_code == 400
    assert "visibility of the note it corrects" in response.text
    other_side = NegotiationNote.objects.get(text=INTERNAL_CN)
    assert (
        post_note(client, mapping, visibility="internal", corrects=other_side.pk).status_code == 400
    )


def test_the_correction_picker_shows_the_beginning_of_each_note(mapping, negotiator):
    page = client_of(negotiator).get(mapping.get_absolute_url()).text
    assert "2026-09-01 · Joint · Round 3 — Both sides accept n=5, c=0." in page


def test_a_corrected_note_is_shown_as_superseded_with_a_link(mapping, negotiator):
    first = NegotiationNote.objects.get(text=SHARED_TEXT)
    correction = NegotiationNote.objects.create(
        mapping=mapping, side="joint", text="Both sides accept n=5, c=1.", visibility="shared",
        date=datetime.date(2026, 10, 1), meeting="Round 4", author=negotiator, corrects=first,
    )  # fmt: skip
    page = client_of(negotiator).get(mapping.get_absolute_url()).text
    assert f"<del>{SHARED_TEXT}</del>" in page
    assert f'Superseded by <a href="#note-{correction.pk}">2026-10-01 Round 4</a>' in page
    report = client_of(negotiator).get(reverse("standards:report-html") + "?gaps=0&notes=on").text
    assert 'class="note-superseded"' in report and "Superseded by" in report


def rendered(query, fmt):
    _form, selection = selection_from(QueryDict(query))
    assert selection is not None, _form.errors
    content = produce(selection, fmt, data_version()[1])[0]
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    if fmt == "csv":
        return "\n".join(
            ",".join(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))
        )
    sheets = load_workbook(io.BytesIO(content), read_only=True).worksheets
    return "\n".join(str(c) for ws in sheets for row in ws.iter_rows(values_only=True) for c in row)


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_a_report_for_the_joint_working_group_never_carries_internal_notes(mapping, fmt):
    text = rendered("gaps=0&notes=on&lang=en", fmt)
    assert INTERNAL_KZ not in text and INTERNAL_CN not in text


def test_the_html_report_for_the_joint_working_group_carries_shared_notes_only(mapping, negotiator):
    member(negotiator, "kz")
    page = client_of(negotiator).get(reverse("standards:report-html") + "?gaps=0&notes=on").text
    assert SHARED_TEXT in page
    assert INTERNAL_KZ not in page and INTERNAL_CN not in page
    assert "For the joint working group" in page


def test_an_internal_report_carries_its_delegations_notes_and_says_so(mapping, negotiator):
    member(negotiator, "kz")
    url = reverse("standards:report-html") + "?gaps=0&notes=on&audience=internal-kz"
    page = client_of(negotiator).get(url).text
    assert SHARED_TEXT in page and INTERNAL_KZ in page and INTERNAL_CN not in page
    assert "Internal — Kazakh delegation" in page
    pdf = rendered("gaps=0&notes=on&lang=en&audience=internal-kz", "pdf")
    assert INTERNAL_KZ in pdf and INTERNAL_CN not in pdf
    assert "Internal — Kazakh delegation" in pdf


def test_the_audience_is_part_of_the_fingerprint(mapping):
    from standards.reports.fingerprint import fingerprint_for

    shared = selection_from(QueryDict("gaps=0&notes=on"))[1]
    internal = selection_from(QueryDict("gaps=0&notes=on&audience=internal-kz"))[1]
    assert internal.query_string() != shared.query_string()
    assert fingerprint_for(internal) != fingerprint_for(shared)


@pytest.mark.parametrize("fmt", ["html", "pdf", "csv", "xlsx"])
def test_only_members_of_a_delegation_produce_its_internal_report(
    mapping, negotiator, cn_negotiator, fmt
):
    url = reverse(f"standards:report-{fmt}") + "?gaps=0&notes=on&audience=internal-kz"
    for user in (negotiator, cn_negotiator):  # no delegation; the other delegation
        response = client_of(user).get(url)
        assert response.status_code == 400, user
        assert INTERNAL_KZ.encode() not in response.content


def test_the_builder_offers_a_members_own_internal_report_only(negotiator, cn_negotiator):
    plain = client_of(negotiator).get(reverse("standards:reports")).text
    assert 'value="internal-kz"' not in plain and 'value="internal-cn"' not in plain
    chinese = client_of(cn_negotiator).get(reverse("standards:reports")).text
    assert 'value="internal-cn"' in chinese and 'value="internal-kz"' not in chinese
