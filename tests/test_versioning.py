"""No lost updates on any record edited in the back office: every change form carries the
version it was opened at, and a missing, malformed or stale version is refused."""

import pytest
from django.urls import reverse

from standards.models import Clause, ClauseMapping, Limit, Parameter, Standard
from tests.factories import make_clause, make_limit, make_mapping, make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    limit = make_limit(make_clause(make_standard(code="GB 2762-2025")))
    return {
        Standard: limit.clause.standard,
        Clause: limit.clause,
        Limit: limit,
        Parameter: limit.parameter,
        ClauseMapping: make_mapping(kz=[limit.clause], title="Lead"),
    }


def change_url(obj):
    return reverse(f"admin:standards_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(response):
    """The admin form and its inlines as a browser posts them back."""
    context = response.context
    data = {}
    forms = [context["adminform"].form]
    for formset in context.get("inline_admin_formsets", []):
        management = formset.formset.management_form
        data.update(
            {management[name].html_name: management[name].value() for name in management.fields}
        )
        forms += list(formset.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, list | tuple):
                value = [getattr(v, "pk", v) for v in value]
            data[form[name].html_name] = value
    return data


EDIT = {
    Standard: ("title_en", "Contaminants in food (edited)"),
    Clause: ("heading", "Lead (edited)"),
    Limit: ("qualifier", "meat (edited)"),
    Parameter: ("name_en", "Lead (edited)"),
    ClauseMapping: ("rationale", "Edited rationale."),
}


@pytest.mark.parametrize("model", list(EDIT), ids=lambda m: m.__name__)
@pytest.mark.parametrize("version", ["", "not-a-version", "2026-01-01T00:00:00"])
def test_a_form_without_a_valid_version_is_refused(client_for, editor, records, model, version):
    obj = records[model]
    client = client_for(editor)
    data = form_data(client.get(change_url(obj)))
    field, value = EDIT[model]
    data.update({field: value, "loaded_version": version, "change_reason": "Edited."})
    if not version:
        data.pop("loaded_version")
    response = client.post(change_url(obj), data)
    assert response.status_code == 200
    assert "This form carries no valid version" in response.text
    obj.refresh_from_db()
    assert getattr(obj, field) != value


@pytest.mark.parametrize("model", list(EDIT), ids=lambda m: m.__name__)
def test_an_older_form_never_overwrites_a_newer_save(
    client_for, editor, administrator, records, model
):
    from django.test import Client

    obj = records[model]
    first, second = client_for(editor), Client()
    second.force_login(administrator)
    first_data, second_data = (
        form_data(first.get(change_url(obj))),
        form_data(second.get(change_url(obj))),
    )
    field, value = EDIT[model]
    first_data.update({field: value, "change_reason": "First."})
    response = first.post(change_url(obj), first_data)
    assert response.status_code == 302, response.context and response.context["errors"]
    second_data.update({field: "Second editor's text", "change_reason": "Second."})
    response = second.post(change_url(obj), second_data)
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.non_field_errors())
    label = str(model._meta.get_field(field).verbose_name)
    assert f"Someone else saved this {model._meta.verbose_name} after you opened it" in message
    assert f"(ed, changing: {label}" in message
    obj.refresh_from_db()
    assert getattr(obj, field) == value


def test_a_stale_inline_limit_is_refused_too(client_for, editor, records):
    clause, limit = records[Clause], records[Limit]
    client = client_for(editor)
    data = form_data(client.get(change_url(clause)))
    limit.qualifier = "changed meanwhile"
    limit.save()
    response = client.post(change_url(clause), data)
    assert response.status_code == 200
    assert "Someone else saved this limit after you opened it" in response.text


def test_a_revert_is_checked_against_the_current_version(client_for, editor, records):
    mapping = records[ClauseMapping]
    mapping.rationale = "Second version."
    mapping.save()
    original = mapping.history.order_by("history_date").first()
    client = client_for(editor)
    url = reverse(
        "admin:standards_clausemapping_simple_history", args=[mapping.pk, original.history_id]
    )
    data = form_data(client.get(url))
    assert data["loaded_version"] == ClauseMapping.objects.get(pk=mapping.pk).updated_at.isoformat()
    data["change_reason"] = "Back to the first version."
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
