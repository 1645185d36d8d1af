"""Optimistic locking for every record edited in the back office: no lost updates.

Every edit form carries the version it was opened at (`loaded_version`, the record's
`updated_at`). Saving checks it against the stored row, locked for the rest of the
transaction, so two saves at the same instant cannot both pass: the second waits, then
sees the first one's change and is refused with one message naming who changed which
fields (standards.history). A form without a version, or with one that is not a version
(an old tab, a script, a tampered form), is refused too.

`VersionedForm` is the form side (mixed into every admin form of the domain models);
`VersionedAdmin` the admin side: the version field on every change form, the check and
the save in one transaction, and a revert (simple-history) checked against the current
version rather than the reverted one's.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from standards.history import changes_since

VERSION_FIELD = "loaded_version"


def current_version(model, pk):
    """The stored version of a record, or None when it is gone (or `pk` is no id)."""
    try:
        value = model.objects.filter(pk=pk).values_list("updated_at", flat=True).first()
    except (ValueError, TypeError, ValidationError):
        return None
    return value.isoformat() if value else None


class VersionedForm(forms.ModelForm):
    """A model form that refuses to save over a change made since it was opened."""

    loaded_version = forms.CharField(required=False, widget=forms.HiddenInput)
    # Set on a form class by VersionedAdmin for a revert: the version the form must
    # carry is the current one, not the reverted record's.
    current_version = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields[VERSION_FIELD].initial = self.current_version or (
                self.instance.updated_at.isoformat() if self.instance.updated_at else ""
            )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_version(cleaned.get(VERSION_FIELD))
        return cleaned

    def _check_version(self, loaded):
        model = type(self.instance)
        if not _is_version(loaded):
            raise forms.ValidationError(
                _(
                    "This form carries no valid version of the %(record)s, so saving it "
                    "could overwrite someone else's change. Nothing was saved. Open the "
                    "record again and make your change there."
                )
                % {"record": model._meta.verbose_name},
                code="version_missing",
            )
        rows = model.objects.filter(pk=self.instance.pk)
        if transaction.get_connection().in_atomic_block:
            # Locking the row makes the check and the save one step.
            rows = rows.select_for_update()
        current = rows.values_list("updated_at", flat=True).first()
        if current is None or current.isoformat() == loaded:
            return
        who, fields = changes_since(self.instance, loaded, model)
        raise forms.ValidationError(
            _(
                "Someone else saved this %(record)s after you opened it (%(who)s, "
                "changing: %(fields)s). Nothing was saved. Open it again to see their "
                "changes, then make yours."
            )
            % {
                "record": model._meta.verbose_name,
                "who": ", ".join(who) or _("another user"),
                "fields": ", ".join(fields) or _("the record"),
            },
            code="changed_meanwhile",
        )


def _is_version(value):
    try:
        parsed = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        return False
    return parsed.tzinfo is not None


class VersionedAdmin:
    """Admin side of VersionedForm: the version on every change form (fieldsets and
    inlines), and reverts checked against the current version."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        named = {f for _name, options in fieldsets for f in options.get("fields", ())}
        if VERSION_FIELD in named:
            return fieldsets
        return [*fieldsets, (None, {"fields": [VERSION_FIELD], "classes": ["hidden"]})]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        reverting = getattr(request, "_version_for_revert", None)
        if reverting is not None:
            form = type(form.__name__, (form,), {"current_version": reverting})
        return form

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The form shows the old version's values but must carry the current version;
        # its check and save are one transaction, as in the change form.
        request._version_for_revert = current_version(self.model, object_id) or ""
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)
