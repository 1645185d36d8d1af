"""Spreadsheet exchange of the domain data: CSV and XLSX import and export of parameters,
standards, clauses, limits, mappings, the glossary and the establishment register
(django-import-export resources).

Records are matched on their stable keys, never on database ids, so a file exported from
one portal imports into another (or into an empty one) and exports again unchanged:
parameters and standards by `key`, clauses by standard key and reference, limits by
clause and position, mappings and establishments by `key`. Clause sets are written one
clause a line as "<standard key> <clause reference>".

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return), and cells starting with an apostrophe, are written with a leading apostrophe,
which the import takes off again: the exchange is formula-safe and loses nothing.

Uploads are checked before any row is read (`read_upload`): size, encoding, the zip
structure of an XLSX (and XML without entity declarations), the width of the header and
the number of rows (both while reading, so that the work is bounded by the caps), the
columns and the length of each cell. Rows shorter than the header read as empty cells
after their last one, and a row longer than the header is refused by its number, in CSV
(`read_csv`) and XLSX (`read_xlsx`) alike.
"""

import csv
import io
import zipfile
from collections import Counter
from decimal import Decimal, InvalidOperation

import openpyxl
import tablib
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Prefetch
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader
from openpyxl.utils import get_column_letter

from limits.units import as_written
from standards import establishments, search_text
from standards.models import (
    Clause,
    ClauseMapping,
    Establishment,
    GlossaryTerm,
    Limit,
    Parameter,
    Standard,
)
from standards.spreadsheets import unescape_cell, write_csv, write_xlsx
from standards.translated import field_names

# --- widgets -----------------------------------------------------------------------------


class DecimalText(widgets.Widget):
    """A decimal written without trailing zeros ("0.5", not "0.500000000000")."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value}) from None
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": value})
        return number

    def render(self, value, obj=None, **kwargs):
        return as_written(value)


# How a date is written in every exchange file, and how its error message names it.
DATE_FORMAT = "%Y-%m-%d"
DATE_FORMAT_SHOWN = "YYYY-MM-DD"


class DateText(widgets.DateWidget):
    """A date written as YYYY-MM-DD; any other value is refused with the format to use."""

    def __init__(self):
        super().__init__(DATE_FORMAT)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(
                _("“%(value)s” is not a date; write it as %(format)s (for example 2026-12-03).")
                % {"value": value, "format": DATE_FORMAT_SHOWN}
            ) from None


class ChoiceText(widgets.Widget):
    """A coded value of a field with choices, checked against them: a code the field
    does not know is refused with the codes it does know. Reads the cell as the field's
    own widget does."""

    def __init__(self, widget, model_field):
        super().__init__()
        self.widget = widget
        self.model_field = model_field

    def clean(self, value, row=None, **kwargs):
        cleaned = self.widget.clean(value, row=row, **kwargs)
        valid = [str(code) for code, _label in self.model_field.flatchoices if code != ""]
        if cleaned in (None, "") or str(cleaned) in valid:
            return cleaned
        raise ValueError(
            _("“%(value)s” is not a valid %(field)s; valid: %(choices)s.")
            % {
                "value": value,
                "field": self.model_field.verbose_name,
                "choices": ", ".join(valid),
            }
        )

    def render(self, value, obj=None, **kwargs):
        return self.widget.render(value, obj, **kwargs)


def checked_widget(model, field):
    """The widget through which every exchange resource reads `field` of `model`: for a
    field with choices, one that names the valid codes when a cell holds another; for a
    date, one that names the format. Any other field keeps its widget."""
    try:
        model_field = model._meta.get_field(field.attribute or "")
    except FieldDoesNotExist:  # not a model field (a related lookup, a computed column)
        return field.widget
    if model_field.choices and not isinstance(field.widget, ChoiceText):
        return ChoiceText(field.widget, model_field)
    if (
        isinstance(model_field, models.DateField)
        and not isinstance(model_field, models.DateTimeField)
        and not isinstance(field.widget, DateText)
    ):
        return DateText()
    return field.widget


class Lookups:
    """Related records found by name, remembered for one import: a row's references are
    resolved several times (the instance, the unchanged-row check, the many-to-many
    save) and many rows name the same records. Each resource gets its own copy of its
    fields, so nothing is remembered from one import to the next."""

    def remembered(self, name, find, *args):
        memo = self.__dict__.setdefault("_memo", {})
        if name not in memo:
            memo[name] = find(*args)
        return memo[name]


def _clause(standard_key, reference):
    return (
        Clause.objects.select_related("standard")
        .filter(standard__key=standard_key, reference=reference)
        .first()
    )


class KeyWidget(Lookups, widgets.ForeignKeyWidget):
    """A related record named by its stable key; an unknown key is a clear error."""

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return None
        found = self.remembered(value, self._find, value)
        if found is None:
            raise ValueError(
                _("There is no %(model)s “%(key)s”.")
                % {"model": self.model._meta.verbose_name, "key": value}
            )
        return found

    def _find(self, value):
        return self.model.objects.filter(**{self.field: value}).first()


class ClauseWidget(Lookups, widgets.ForeignKeyWidget):
    """A clause named by its reference, in the standard named by the row's `standard`."""

    def __init__(self):
        super().__init__(Clause, field="reference")

    def clean(self, value, row=None, **kwargs):
        reference = "" if value is None else str(value).strip()
        standard_key = str((row or {}).get("standard") or "").strip()
        if not reference:
            return None
        clause = self.remembered((standard_key, reference), _clause, standard_key, reference)
        if clause is None:
            raise ValueError(
                _("There is no clause “%(reference)s” in standard “%(standard)s”.")
                % {"reference": reference, "standard": standard_key}
            )
        return clause


def clause_label(clause):
    return f"{clause.standard.key} {clause.reference}"


class ClausesWidget(Lookups, widgets.ManyToManyWidget):
    """A set of clauses, one a line: "<standard key> <clause reference>"."""

    def __init__(self):
        super().__init__(Clause, separator="\n")

    def clean(self, value, row=None, **kwargs):
        labels = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        found = []
        for label in labels:
            standard_key, _sep, reference = label.partition(" ")
            clause = self.remembered(label, _clause, standard_key, reference.strip())
            if clause is None:
                raise ValueError(_("There is no clause “%(label)s”.") % {"label": label})
            found.append(clause)
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if not isinstance(value, ClauseList):
            value = value.select_related("standard")
        return "\n".join(sorted(clause_label(c) for c in value.all()))


class ClauseList(list):
    """A mapping's clauses of one side as loaded with it, answering `.all()` as a
    related manager does."""

    def all(self):
        return self


def loaded_name(side):
    """Where a mapping loaded by MappingResource.get_queryset keeps one side's clauses."""
    return f"_{side}_loaded"


class ClausesField(fields.Field):
    """A side's clause set, read from the list loaded with the mapping while it is
    current: the diff of the preview reads it on a copy of each record, and a copy of a
    prefetched queryset is empty, which cost three queries a row."""

    def __init__(self, side):
        super().__init__(side, side, ClausesWidget())

    def get_value(self, instance):
        cached = instance.__dict__.get(loaded_name(self.attribute))
        return ClauseList(cached) if cached is not None else super().get_value(instance)

    def save(self, instance, row, is_m2m=False, **kwargs):
        if not is_m2m:
            return super().save(instance, row, is_m2m, **kwargs)
        wanted = ClauseList(self.clean(row))
        current = instance.__dict__.get(loaded_name(self.attribute))
        if current is None or {c.pk for c in current} != {c.pk for c in wanted}:
            super().save(instance, row, is_m2m, **kwargs)
        # What is now set, for the preview's diff (the lookups are remembered).
        instance.__dict__[loaded_name(self.attribute)] = wanted


class KeysText(widgets.Widget):
    """Related records of the same kind, by key, one a line. Applied after every row
    is in (they may name records further down the file)."""

    def clean(self, value, row=None, **kwargs):
        return sorted({line.strip() for line in str(value or "").splitlines() if line.strip()})


# --- the preview --------------------------------------------------------------------------


class PreviewCell:
    """One cell of a previewed row: its column, the value before and after the import,
    each with the label of its code where the field has choices, and whether it
    changes. Renders as the marked-up difference django-import-export shows."""

    def __init__(self, column, old, new, changed, old_label="", new_label=""):
        self.column = column
        self.old = old
        self.new = new
        self.changed = changed
        self.old_label = old_label
        self.new_label = new_label

    def __str__(self):
        if not self.changed:
            return str(format_html("{}", self.new))
        return str(format_html("<del>{}</del> <ins>{}</ins>", self.old, self.new))

    def __html__(self):
        return str(self)

    def __repr__(self):
        return f"PreviewCell({self.column!r}, {self.old!r}, {self.new!r}, {self.changed!r})"


def choice_label(model, attribute, value):
    """The human label of the code `value` of the field `attribute` ("" when the field
    has no choices or the code none)."""
    try:
        model_field = model._meta.get_field(attribute or "")
    except FieldDoesNotExist:
        return ""
    if not model_field.choices or value in (None, ""):
        return ""
    labels = {str(code): label for code, label in model_field.flatchoices}
    return str(labels.get(str(value), ""))


class PreviewDiff(resources.Diff):
    """The preview of a row as cells (PreviewCell) rather than one marked-up string a
    column, so that the preview can show only what changes, with the values before and
    after and the labels of codes."""

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.resource = resource

    def as_html(self):
        model = self.resource._meta.model
        cells = []
        for field, old, new in zip(
            self.resource.get_import_fields(), self.left, self.right, strict=False
        ):
            old = "" if self.new or old is None else str(old)
            new = "" if new is None else str(new)
            cells.append(
                PreviewCell(
                    field.column_name,
                    old,
                    new,
                    old != new,
                    choice_label(model, field.attribute, old),
                    choice_label(model, field.attribute, new),
                )
            )
        return cells


def preview_of(result):
    """What the preview of a dry run shows: the counts, the rows that change (each with
    only its changing cells) and the rows left unchanged (to be shown collapsed)."""
    changed, unchanged = [], []
    for row in result.valid_rows():
        entry = {
            "number": (getattr(row, "number", None) or 0) + 1,  # the header is row 1
            "kind": row.import_type,
            "label": row.object_repr or "",
        }
        if row.import_type == row.IMPORT_TYPE_SKIP:
            unchanged.append(entry)
            continue
        entry["cells"] = [
            cell for cell in (row.diff or []) if isinstance(cell, PreviewCell) and cell.changed
        ]
        changed.append(entry)
    totals = result.totals
    return {
        "new": totals["new"],
        "update": totals["update"],
        "skip": totals["skip"],
        "delete": totals["delete"],
        "errors": totals.get("error", 0) + totals.get("invalid", 0),
        "changed": changed,
        "unchanged": unchanged,
    }


# --- resources ---------------------------------------------------------------------------


class PortalResource(resources.ModelResource):
    """What every exchange resource shares: formula-safe cells, a recorded reason and
    user on every change, and the check that names columns the file lacks or has in
    excess."""

    class Meta:
        abstract = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__()
        self.reason = kwargs.get("reason", "")
        self.user = kwargs.get("user")
        for field in self.fields.values():
            field.widget = checked_widget(self._meta.model, field)

    @classmethod
    def get_diff_class(cls):
        return PreviewDiff

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        # The row's number in the file (after the header), for the preview.
        row_result.number = kwargs.get("row_number")
        return row_result

    def import_data(self, *args, **kwargs):
        # Search texts of the clauses the file touches, refreshed once at the end.
        with search_text.batched():
            return super().import_data(*args, **kwargs)

    @classmethod
    def column_names(cls):
        return [field.column_name for field in cls().get_export_fields()]

    def before_import(self, dataset, **kwargs):
        self.reason = kwargs.get("reason", self.reason)
        self.user = kwargs.get("user", self.user)
        self.file_keys = set()
        # Cells as they were before export escaped them, once for the whole file, before
        # records are looked up by key. An empty spreadsheet cell reads as None: the same
        # as an empty text here.
        headers, rows = dataset.headers, list(dataset)
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(["" if value is None else unescape_cell(value) for value in row])

    def get_instance(self, instance_loader, row):
        # An unknown related key in an identifying column means a new record; the
        # field import then reports the unknown key against its column.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = ValidationError(str(error), code="invalid")
        errors.update(self.deferred_errors(row))
        if errors:
            raise ValidationError(errors)

    def deferred_errors(self, row):
        """Errors in the columns applied after every row is in ({column: error})."""
        return {}

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = self.reason
        if self.user is not None:
            instance._history_user = self.user


class ParameterResource(PortalResource):
    class Meta(PortalResource.Meta):
        model = Parameter
        import_id_fields = ["key"]
        instance_loader_class = CachedInstanceLoader  # one query for the file's records
        # name_kk last: spreadsheets exported before it existed still import.
        fields = ["key", "name_en", "name_ru", "name_zh", "unit", "family", "name_kk"]
        export_order = fields


class GlossaryResource(PortalResource):
    class Meta(PortalResource.Meta):
        model = GlossaryTerm
        import_id_fields = ["key"]
        fields = ["key", "category", "term_en", "term_ru", "term_kk", "term_zh", "variants"]
        export_order = fields


class StandardResource(PortalResource):
    adopted = fields.Field("adopted", "adopted", DateText())
    effective = fields.Field("effective", "effective", DateText())
    supersedes = fields.Field(column_name="supersedes", widget=KeysText())

    class Meta(PortalResource.Meta):
        model = Standard
        import_id_fields = ["key"]
        instance_loader_class = CachedInstanceLoader  # one query for the file's records
        fields = [
            "key", "jurisdiction", "code", "title_en", "title_original", "title_language",
            "issuing_body", "kind", "edition", "status", "status_note", "adopted",
            "effective", "dates_note", "supersedes", "binding_language", "product_scope",
            "scope_note", "official_publisher", "official_url", "source", "source_url",
            "in_sheet",
            # Working translations last: files exported before they existed still import.
            *field_names("title")[1:],
        ]  # fmt: skip
        export_order = fields

    def get_queryset(self):
        return Standard.objects.order_by("key").prefetch_related("supersedes")

    def dehydrate_supersedes(self, standard):
        return "\n".join(sorted(s.key for s in standard.supersedes.all()))

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        if "key" in (dataset.headers or []):
            self.file_keys = {str(k).strip() for k in dataset["key"] if k}

    def deferred_errors(self, row):
        errors = {}
        known = self.file_keys | set(
            Standard.objects.filter(key__in=self.wanted_supersedes(row)).values_list(
                "key", flat=True
            )
        )
        unknown = [key for key in self.wanted_supersedes(row) if key not in known]
        if unknown:
            errors["supersedes"] = ValidationError(
                _("There is no standard “%(key)s”.") % {"key": ", ".join(unknown)},
                code="invalid",
            )
        return errors

    def wanted_supersedes(self, row):
        return self.fields["supersedes"].clean(row) if "supersedes" in row else None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        wanted = self.wanted_supersedes(row)
        return wanted is None or wanted == sorted(s.key for s in original.supersedes.all())

    def after_import(self, dataset, result, **kwargs):
        if result.has_errors() or result.has_validation_errors():
            return
        if "supersedes" in (dataset.headers or []):
            by_key = {s.key: s for s in Standard.objects.filter(key__in=self.file_keys)}
            for row in dataset.dict:
                standard = by_key[str(row["key"]).strip()]
                wanted = self.fields["supersedes"].clean(row)
                if wanted != sorted(s.key for s in standard.supersedes.all()):
                    standard._change_reason = self.reason
                    standard.supersedes.set(Standard.objects.filter(key__in=wanted))


class ClauseResource(PortalResource):
    standard = fields.Field("standard", "standard", KeyWidget(Standard, "key"))
    parent = fields.Field(column_name="parent", widget=widgets.CharWidget(allow_blank=True))

    class Meta(PortalResource.Meta):
        model = Clause
        import_id_fields = ["standard", "reference"]
        fields = [
            "standard", "reference", "parent", "heading", "text_original",
            "original_language", "text_en", "product_scope", "species", "topic",
            "confidence", "citation", "source_url",
            *field_names("heading")[1:], "text_ru", "text_kk", "text_zh",
        ]  # fmt: skip
        export_order = fields

    def get_queryset(self):
        return Clause.objects.select_related("standard", "parent").order_by(
            "standard__key", "reference"
        )

    def dehydrate_parent(self, clause):
        return clause.parent.reference if clause.parent_id else ""

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        headers = dataset.headers or []
        if "standard" in headers and "reference" in headers:
            self.file_keys = {
                (str(s or "").strip(), str(r or "").strip())
                for s, r in zip(dataset["standard"], dataset["reference"], strict=True)
            }

    def wanted_parent(self, row):
        return str(row.get("parent") or "").strip() if "parent" in row else None

    def deferred_errors(self, row):
        errors = {}
        parent = self.wanted_parent(row)
        standard_key = str(row.get("standard") or "").strip()
        if parent:
            exists = (standard_key, parent) in self.file_keys or Clause.objects.filter(
                standard__key=standard_key, reference=parent
            ).exists()
            if not exists:
                errors["parent"] = ValidationError(
                    _("There is no clause “%(reference)s” in standard “%(standard)s”.")
                    % {"reference": parent, "standard": standard_key},
                    code="invalid",
                )
            elif parent == str(row.get("reference") or "").strip():
                errors["parent"] = ValidationError(
                    _("A clause cannot be its own parent."), code="invalid"
                )
        return errors

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        wanted = self.wanted_parent(row)
        current = original.parent.reference if original.parent_id else ""
        return wanted is None or wanted == current

    def after_import(self, dataset, result, **kwargs):
        if result.has_errors() or result.has_validation_errors():
            return
        if "parent" not in (dataset.headers or []):
            return
        for row in dataset.dict:
            clause = Clause.objects.get(
                standard__key=str(row["standard"]).strip(),
                reference=str(row["reference"]).strip(),
            )
            wanted = self.wanted_parent(row)
            parent = (
                Clause.objects.get(standard_id=clause.standard_id, reference=wanted)
                if wanted
                else None
            )
            if clause.parent_id != (parent.pk if parent else None):
                clause.parent = parent
                clause._change_reason = self.reason
                clause.save(update_fields=["parent", "updated_at"])


class LimitResource(PortalResource):
    standard = fields.Field(
        attribute="clause__standard__key", column_name="standard", readonly=True
    )
    clause = fields.Field("clause", "clause", ClauseWidget())
    parameter = fields.Field("parameter", "parameter", KeyWidget(Parameter, "key"))
    value = fields.Field("value", "value", DecimalText())
    upper_value = fields.Field("upper_value", "upper_value", DecimalText())
    plan_m = fields.Field("plan_m", "plan_m", DecimalText())
    plan_big_m = fields.Field("plan_big_m", "plan_big_m", DecimalText())

    class Meta(PortalResource.Meta):
        model = Limit
        import_id_fields = ["clause", "position"]
        fields = [
            "standard", "clause", "position", "parameter", "kind", "value", "upper_value",
            "unit", "strict", "basis", "qualifier", "matrix", "plan_n", "plan_c", "plan_m",
            "plan_big_m", "note", "evidence", "evidence_note",
        ]  # fmt: skip
        export_order = fields

    def get_queryset(self):
        return Limit.objects.select_related("clause__standard", "parameter").order_by(
            "clause__standard__key", "clause__reference", "position", "pk"
        )


class MappingResource(PortalResource):
    kz_clauses = ClausesField("kz_clauses")
    cn_clauses = ClausesField("cn_clauses")
    reference_clauses = ClausesField("reference_clauses")
    target_date = fields.Field("target_date", "target_date", DateText())

    class Meta(PortalResource.Meta):
        model = ClauseMapping
        import_id_fields = ["key"]
        instance_loader_class = CachedInstanceLoader  # one query for the file's records
        fields = [
            "key", "title", "product_group", "topic", "kz_clauses", "cn_clauses",
            "reference_clauses", "alignment", "status", "rationale", "proposed_action",
            "notes", "responsible_side", "target_date", "confidence", "kz_evidence",
            "kz_evidence_note", "cn_evidence", "cn_evidence_note", "sheet_row",
            *field_names("title")[1:], *field_names("rationale")[1:],
            *field_names("proposed_action")[1:],
        ]  # fmt: skip
        export_order = fields

    SIDES = ("kz_clauses", "cn_clauses", "reference_clauses")

    def get_queryset(self):
        clauses = Clause.objects.select_related("standard")
        return ClauseMapping.objects.order_by("key").prefetch_related(
            *(Prefetch(side, queryset=clauses, to_attr=loaded_name(side)) for side in self.SIDES)
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Every clause the file names, in one query rather than one per name.
        sides = self.SIDES
        labels = {
            line.strip()
            for field in sides
            if field in (dataset.headers or [])
            for cell in dataset[field]
            for line in str(cell or "").splitlines()
            if line.strip()
        }
        wanted = {tuple(part.strip() for part in label.partition(" ")[::2]) for label in labels}
        candidates = Clause.objects.select_related("standard").filter(
            standard__key__in={key for key, _ref in wanted},
            reference__in={reference for _key, reference in wanted},
        )
        found = {(clause.standard.key, clause.reference): clause for clause in candidates}
        for field in sides:
            widget = self.fields[field].widget
            for label in labels:
                key, _sep, reference = label.partition(" ")
                widget.remembered(label, found.get, (key, reference.strip()))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # A mapping's check constraints restate its fields' choices, which the field
        # validation checks already (and the database enforces): validating them again
        # took a query each, a third of the time of every changed row.
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=errors.keys(), validate_unique=validate_unique, validate_constraints=False
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if self.user is not None:
            instance.updated_by = self.user


class CodesText(widgets.Widget):
    """Several codes in one cell, one a line (establishments' activities and products);
    stored as standards.establishments writes them."""

    def __init__(self, check, line):
        super().__init__()
        self.check = check
        self.line = line

    def clean(self, value, row=None, **kwargs):
        try:
            return self.check("" if value is None else str(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None

    def render(self, value, obj=None, **kwargs):
        return "\n".join(self.line(code) for code in str(value or "").split())


class EstablishmentResource(PortalResource):
    """The establishment register, matched on `key`. A status that changes takes the
    import's reason into its status history."""

    activities = fields.Field(
        "activities", "activities", CodesText(establishments.check_activities, str)
    )
    products = fields.Field(
        "products",
        "products",
        CodesText(establishments.check_products, establishments.product_line),
    )

    class Meta(PortalResource.Meta):
        model = Establishment
        import_id_fields = ["key"]
        instance_loader_class = CachedInstanceLoader  # one query for the file's records
        fields = [
            "key", "kz_approval_number", "cn_registration_number", "name", "region",
            "activities", "products", "recommended_on", "review_method", "listing_date",
            "renewal_filed_on", "status", "status_since", "status_evidence",
            "status_citation", "dates_note", "source", "confidence",
        ]  # fmt: skip
        export_order = fields

    # A number another plant holds: the error goes to its column, with the number.
    TAKEN = {
        "kz_approval_number_taken": "kz_approval_number",
        "cn_registration_number_taken": "cn_registration_number",
    }

    def get_queryset(self):
        return Establishment.objects.order_by("key")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(self._taken_to_columns(instance, error)) from None

    def _taken_to_columns(self, instance, error):
        errors = error.update_error_dict({})
        general = []
        for item in errors.pop(NON_FIELD_ERRORS, []):
            column = self.TAKEN.get(getattr(item, "code", None))
            if column is None:
                general.append(item)
                continue
            message = _("“%(value)s”: %(error)s") % {
                "value": getattr(instance, column),
                "error": " ".join(item.messages),
            }
            errors.setdefault(column, []).append(ValidationError(message, code=item.code))
        if general:
            errors[NON_FIELD_ERRORS] = general
        return errors


# Import order on an empty portal: parameters and standards before the clauses that
# cite them, clauses before limits and mappings.
RESOURCES = {
    "parameters": ParameterResource,
    "standards": StandardResource,
    "clauses": ClauseResource,
    "limits": LimitResource,
    "mappings": MappingResource,
    "glossary": GlossaryResource,
    "establishments": EstablishmentResource,
}


# --- formats and upload checks -----------------------------------------------------------


class CSVFormat(base_formats.CSV):
    """Formula-safe UTF-8 CSV (standards.spreadsheets), read with any of the usual
    separators."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return read_csv(in_stream.removeprefix("\ufeff"))

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset.headers, dataset).decode("utf-8")


class XLSXFormat(base_formats.XLSX):
    """XLSX whose cells are all text: nothing in an exported file is ever a formula; read
    as a CSV file is (read_xlsx)."""

    def create_dataset(self, in_stream, **kwargs):
        return read_xlsx(in_stream)

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset.headers, dataset, title="Data")


FORMATS = [CSVFormat, XLSXFormat]


def _limit(name):
    return getattr(settings, name)


def _check_xlsx_container(data):
    """An XLSX is a zip archive: refuse one that is not, or that would unpack to far
    more than the upload cap (a zip bomb), before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationError(
            _("The file is not a valid XLSX workbook (it is not a zip archive)."),
            code="not_xlsx",
        ) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > _limit("IMPORT_MAX_UNPACKED_BYTES"):
        raise ValidationError(
            _(
                "The workbook would unpack to %(size)d MB, more than the %(limit)d MB "
                "allowed; nothing was imported."
            )
            % {"size": unpacked // 2**20, "limit": _limit("IMPORT_MAX_UNPACKED_BYTES") // 2**20},
            code="too_large_unpacked",
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ValidationError(
            _("The file is a zip archive but not an XLSX workbook."), code="not_xlsx"
        )


def _without_trailing_empty_cells(cells):
    cells = list(cells)
    while cells and cells[-1] in (None, ""):
        cells.pop()
    return cells


def read_xlsx(data, max_columns=None):
    """A dataset of the active sheet of the XLSX `data`. As in read_csv, a row with fewer
    cells than the header has columns has empty cells after its last one, and a row with
    a value past the header is refused by its number; empty cells past the header (a
    column formatted but left empty) are left out. A workbook that declares XML entities
    is refused unexpanded (defusedxml, which openpyxl uses: standards.E001).

    Memory follows the cells the sheet holds, never the size it declares: a declared
    size beyond the row cap or beyond `max_columns` is refused before any row is read,
    the rows are then read as written (openpyxl's read-only mode, without the padding
    to the declared size), and reading stops at the row cap."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.active
            _check_declared_size(sheet, max_columns)
            sheet.reset_dimensions()
            return _sheet_dataset(sheet.values, max_columns)
        finally:
            workbook.close()
    except ValueError as error:  # openpyxl wraps what the parser raised in a ValueError
        if not _caused_by(error, DefusedXmlException):
            raise
        raise ValidationError(
            _(
                "The workbook declares XML entities, which could expand to far more than "
                "the file holds; nothing was imported. Save it again as an XLSX file."
            ),
            code="xml_entities",
        ) from None


def _caused_by(error, kind):
    while error is not None and not isinstance(error, kind):
        error = error.__cause__ or error.__context__
    return error is not None


def _check_declared_size(sheet, max_columns):
    """Refuse a sheet whose declared size (its <dimension>) is beyond the caps."""
    rows, columns = sheet.max_row, sheet.max_column
    if rows is not None and rows > _limit("IMPORT_MAX_ROWS") + 1:  # and the header
        raise _too_many_rows()
    if columns is not None and max_columns is not None and columns > max_columns:
        raise _too_many_columns(columns, max_columns)


def _sheet_dataset(rows, max_columns=None):
    header = _without_trailing_empty_cells(next(rows, ()))
    _check_width(header, max_columns)
    dataset = tablib.Dataset(headers=header)
    width = len(header)
    for number, row in enumerate(rows, start=2):
        _check_room(dataset)
        cells = list(row)
        surplus = _without_trailing_empty_cells(cells[width:])
        if surplus:
            raise ValidationError(
                _(
                    "Row %(row)d has a value past the header's %(columns)d columns "
                    "(column %(column)s)."
                )
                % {
                    "row": number,
                    "columns": width,
                    "column": get_column_letter(width + len(surplus)),
                },
                code="row_too_long",
            )
        dataset.append(cells[:width] + [None] * (width - len(cells)))
    return dataset


def read_upload(data, file_format, resource_class):
    """The dataset in an uploaded file, or a ValidationError that says what is wrong
    with it. Nothing is written to the database here."""
    if len(data) > _limit("IMPORT_MAX_BYTES"):
        raise ValidationError(
            _("The file is larger than %(limit)d MB; split it into smaller files.")
            % {"limit": _limit("IMPORT_MAX_BYTES") // 2**20},
            code="too_large",
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    max_columns = len(resource_class.column_names()) + COLUMN_MARGIN
    if file_format.is_binary():
        _check_xlsx_container(data)
        try:
            dataset = read_xlsx(data, max_columns)
        except ValidationError:
            raise
        except Exception:
            raise ValidationError(
                _("The workbook could not be read; save it again as an XLSX file."),
                code="unreadable",
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                _(
                    "The file is not UTF-8 text (byte %(position)d cannot be read). "
                    "Save it as “CSV UTF-8”."
                )
                % {"position": error.start + 1},
                code="encoding",
            ) from None
        if "\x00" in text:
            raise ValidationError(_("The file contains NUL bytes."), code="nul")
        dataset = read_csv(text, max_columns)
    _check_shape(dataset, resource_class)
    return dataset


# A header may have a few columns more than the resource (they are then named as
# unknown); a file with more is refused before its rows are read.
COLUMN_MARGIN = 10


# Characters a header cell may take on average: column names are short identifiers.
HEADER_CELL_CHARS = 100


def _check_header_line(text, max_columns):
    """Refuse a CSV header line far longer than a header of `max_columns` columns can
    be, before it is split into cells: the check looks at no more of the file than such
    a header takes."""
    limit = max_columns * HEADER_CELL_CHARS
    head = text[: limit + 1]
    line_end = min((i for i in (head.find("\n"), head.find("\r")) if i >= 0), default=len(head))
    if line_end > limit:
        raise ValidationError(
            _(
                "The header line is longer than %(limit)d characters, far longer than a "
                "header of this list; nothing was imported."
            )
            % {"limit": limit},
            code="header_too_long",
        )


def _check_width(header, max_columns):
    if max_columns is not None and len(header) > max_columns:
        raise _too_many_columns(len(header), max_columns)


def _too_many_columns(columns, max_columns):
    return ValidationError(
        _(
            "The sheet has %(columns)d columns; a file for this list has at most "
            "%(limit)d. Nothing was imported."
        )
        % {"columns": columns, "limit": max_columns},
        code="too_many_columns",
    )


def _check_room(dataset):
    """Before a row is added: refuse the file once it has more rows than the cap."""
    if len(dataset) == _limit("IMPORT_MAX_ROWS"):
        raise _too_many_rows()


def _too_many_rows():
    return ValidationError(
        _("The file has more than %(limit)d rows; at most %(limit)d can be imported at once.")
        % {"limit": _limit("IMPORT_MAX_ROWS")},
        code="too_many_rows",
    )


# Column separators spreadsheets write: a comma, or a semicolon where the decimal mark
# is a comma (Excel in Russian and Kazakh), or a tab ("Unicode text").
CSV_DELIMITERS = (",", ";", "\t")
MIN_COLUMNS = 2  # every resource has at least a key and one more column
DELIMITER_NAMES = {
    ",": gettext_lazy("comma"),
    ";": gettext_lazy("semicolon"),
    "\t": gettext_lazy("tab"),
}


def _lines(text):
    """The lines of `text` as the csv module reads them: ended by a line feed, a carriage
    return (spreadsheets of old Macs) or both, and kept whole inside a quoted cell."""
    return io.StringIO(text, newline="")


def csv_delimiter(text):
    """The separator of a CSV file: the one that splits its header line into the most
    columns. A ValidationError when none of the three splits it at all."""
    first_line = next(_lines(text), "")

    def columns(delimiter):
        try:
            return len(next(csv.reader([first_line], delimiter=delimiter), []))
        except csv.Error:  # a quoted cell running past the line
            return 0

    best = max(CSV_DELIMITERS, key=columns)
    if columns(best) < MIN_COLUMNS:
        raise ValidationError(
            _(
                "The header line has a single column: separate the columns with commas, "
                "semicolons or tabs."
            ),
            code="delimiter",
        )
    return best


def read_csv(text, max_columns=None):
    """A dataset of the CSV `text`, whichever of the usual separators it uses; a row
    with more cells than the header has columns is refused by its number. A header wider
    than `max_columns` is refused before any row is read, and reading stops at the row
    cap. Both the upload check and the import itself read a CSV file with this."""
    if max_columns is not None:
        _check_header_line(text, max_columns)
    delimiter = csv_delimiter(text)
    try:
        return _csv_dataset(csv.reader(_lines(text), delimiter=delimiter), delimiter, max_columns)
    except csv.Error as error:
        raise ValidationError(
            _("The CSV file could not be read: %(error)s.") % {"error": error},
            code="unreadable",
        ) from None


def _csv_dataset(rows, delimiter, max_columns):
    header = next(rows, [])
    _check_width(header, max_columns)
    dataset = tablib.Dataset(headers=header)
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        _check_room(dataset)
        if len(row) > len(header):
            raise ValidationError(
                _(
                    "Row %(row)d has %(cells)d cells but the header has %(columns)d columns "
                    "(separated by a %(separator)s); check that cells holding the separator "
                    "are quoted."
                )
                % {
                    "row": number,
                    "cells": len(row),
                    "columns": len(header),
                    "separator": DELIMITER_NAMES[delimiter],
                },
                code="row_too_long",
            )
        dataset.append(row + [""] * (len(header) - len(row)))
    return dataset


def _check_shape(dataset, resource_class):
    headers = [str(h).strip() if h is not None else "" for h in (dataset.headers or [])]
    expected = resource_class.column_names()
    present, known = set(headers), set(expected)
    missing = [c for c in expected if c not in present]
    unknown = [h for h in headers if h not in known]
    duplicated = sorted(h for h, count in Counter(headers).items() if count > 1)
    problems = []
    if missing:
        problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            _("unknown columns: %(columns)s")
            % {"columns": ", ".join(h or "(empty)" for h in unknown)}
        )
    if duplicated:
        problems.append(_("repeated columns: %(columns)s") % {"columns": ", ".join(duplicated)})
    if problems:
        raise ValidationError(
            _("The columns do not match (%(problems)s). Expected: %(expected)s.")
            % {"problems": "; ".join(problems), "expected": ", ".join(expected)},
            code="columns",
        )
    dataset.headers = headers
    max_chars = _limit("IMPORT_MAX_CELL_CHARS")
    for number, row in enumerate(dataset, start=2):
        for column, value in zip(headers, row, strict=True):
            if isinstance(value, str) and len(value) > max_chars:
                raise ValidationError(
                    _(
                        "Row %(row)d, column %(column)s: the cell holds %(length)d "
                        "characters; at most %(limit)d are allowed."
                    )
                    % {"row": number, "column": column, "length": len(value), "limit": max_chars},
                    code="cell_too_long",
                )
