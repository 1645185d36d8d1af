"""Negotiation notes: posted on the pair page, append-only, corrections point back."""

import pytest
from django.urls import reverse

from standards.models import NegotiationNote
from tests.factories import make_mapping

pytestmark = pytest.mark.django_db


def note(client, mapping, **fields):
    data = {
        "side": "kz",
        "meeting": "Round 3, Astana",
        "date": "2026-11-20",
        "text": "KZ position.",
        "visibility": "shared",
    }
    data.update(fields)
    return client.post(reverse("standards:note-add", args=[mapping.key]), data)


def test_a_negotiator_adds_a_note_shown_on_the_pair_page(client_for, negotiator):
    mapping = make_mapping(key="KZCN-001")
    client = client_for(negotiator)
    response = note(client, mapping, text="Kazakhstan proposes 0.3 mg/kg as a common limit.")
    saved = NegotiationNote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pairs/KZCN-001/#note-{saved.pk}"
    assert (saved.author, saved.side, saved.mapping) == (negotiator, "kz", mapping)
    page = client.get(mapping.get_absolute_url()).text
    assert "Kazakhstan proposes 0.3 mg/kg as a common limit." in page
    assert "Round 3, Astana" in page


def test_a_correction_points_at_the_note_it_corrects(client_for, editor):
    mapping = make_mapping()
    client = client_for(editor)
    note(client, mapping, text="China accepts 0.5 mg/kg.", side="cn")
    first = NegotiationNote.objects.get()
    note(client, mapping, text="Correction: China accepts 0.3 mg/kg.", side="cn", corrects=first.pk)
    correction = NegotiationNote.objects.exclude(pk=first.pk).get()
    assert correction.corrects == first
    page = client.get(mapping.get_absolute_url()).text
    assert f'href="#note-{first.pk}"' in page
    assert "China accepts 0.5 mg/kg." in page  # the corrected note stays


def test_a_correction_must_belong_to_the_same_mapping(client_for, editor):
    one, other = make_mapping(), make_mapping()
    client = client_for(editor)
    note(client, one)
    foreign = NegotiationNote.objects.get()
    response = note(client, other, corrects=foreign.pk)
    assert response.status_code == 400
    assert NegotiationNote.objects.count() == 1


def test_bad_input_is_a_400_with_messages_and_nothing_saved(client_for, negotiator):
    mapping = make_mapping()
    response = note(client_for(negotiator), mapping, side="moon", date="yesterday", text="")
    assert response.status_code == 400
    errors = response.context["note_form"].errors
    assert set(errors) == {"side", "date", "text"}
    assert not NegotiationNote.objects.exists()


def test_regulators_read_notes_but_cannot_add_them(client_for, regulator, negotiator):
    mapping = make_mapping()
    note(client_for(negotiator), mapping, text="Joint position drafted.", side="joint")
    client = client_for(regulator)
    page = client.get(mapping.get_absolute_url()).text
    assert "Joint position drafted." in page and "Add a note or position" not in page
    assert note(client, mapping).status_code == 403
    assert NegotiationNote.objects.count() == 1


def test_notes_cannot_be_changed_or_deleted_in_the_admin(client_for, administrator, negotiator):
    mapping = make_mapping()
    note(client_for(negotiator), mapping)
    saved = NegotiationNote.objects.get()
    client = client_for(administrator)
    change = client.post(
        reverse("admin:standards_negotiationnote_change", args=[saved.pk]), {"text": "rewritten"}
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:standards_negotiationnote_delete", args=[saved.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    saved.refresh_from_db()
    assert saved.text == "KZ position."
