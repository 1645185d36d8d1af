"""Loading the sourced reference dataset (standards/data/reference/*.yaml).

Reading and validating is plain Python and happens in full before anything is written;
writing happens in one transaction. A malformed file stops the load with a message that
names the file, the record and the field, and the database is left as it was.

Records are matched on stable keys (parameter key, standard key, standard + clause
reference, mapping key), so a second run changes nothing. Facts from the dataset (texts,
figures, citations, confidence) are kept in step with the files; the assessment of a
mapping (alignment, status, rationale, proposed action, responsible side, target date) is
only written when the mapping is created, so editors' work is never overwritten unless
`reset_assessments` is asked for.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from standards import search_text
from standards.models import (
    Clause,
    ClauseMapping,
    Confidence,
    Language,
    Limit,
    Parameter,
    ProductScope,
    Standard,
    Topic,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "reference"

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAPPING_KEY_RE = re.compile(r"^[A-Z]{2,8}-[0-9]{3,6}$")


class ReferenceDataError(Exception):
    def __init__(self, file, record, field_name, message):
        self.file, self.record, self.field, self.message = file, record, field_name, message
        where = f"{file}: {record}"
        if field_name:
            where += f", field '{field_name}'"
        super().__init__(f"{where}: {message}")


# --- field specifications -------------------------------------------------------------
# Each spec maps a field name to (parser, required). Parsers raise ValueError with a
# message for the user.


def _text(value):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value.strip()


def _required_text(value):
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _key(value):
    text = _required_text(value)
    if not KEY_RE.match(text):
        raise ValueError(f"{text!r} is not a key (lower-case letters, digits and hyphens)")
    return text


def _choice(choices, allow_blank=False):
    def parse(value):
        text = _text(value)
        if allow_blank and text == "":
            return ""
        if text not in choices.values:
            allowed = ", ".join(v for v in choices.values if v)
            raise ValueError(f"{text!r} is not one of: {allowed}")
        return text

    return parse


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(_text(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _decimal(value):
    if value is None or value == "":
        return None
    if isinstance(value, (bool, float)):
        raise ValueError(f"write {value!r} as a quoted decimal string so the figure stays exact")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _integer(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{number} must not be negative")
    return number


def _boolean(value):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _list(value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


def _url(value):
    text = _text(value)
    if text and not re.match(r"^https?://\S+$", text):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


PARAMETER_SPEC = {
    "key": (_key, True),
    "name_en": (_required_text, True),
    "name_ru": (_text, False),
    "name_zh": (_text, False),
    "unit": (_text, False),
    "family": (_text, False),
}

STANDARD_SPEC = {
    "key": (_key, True),
    "jurisdiction": (_choice(Standard.Jurisdiction), True),
    "code": (_required_text, True),
    "title_en": (_required_text, True),
    "title_original": (_text, False),
    "title_language": (_choice(Language, allow_blank=True), False),
    "issuing_body": (_text, False),
    "kind": (_choice(Standard.Kind), True),
    "edition": (_text, False),
    "status": (_choice(Standard.Status), True),
    "status_note": (_text, False),
    "adopted": (_date, False),
    "effective": (_date, False),
    "dates_note": (_text, False),
    "supersedes": (_list, False),
    "binding_language": (_choice(Language, allow_blank=True), False),
    "product_scope": (_choice(ProductScope), True),
    "scope_note": (_text, False),
    "source": (_text, False),
    "source_url": (_url, False),
    "in_sheet": (_boolean, False),
}

MAPPING_SPEC = {
    "key": (_required_text, True),
    "sheet_row": (_integer, False),
    "product_group": (_choice(ClauseMapping.ProductGroup), True),
    "topic": (_choice(Topic), True),
    "title": (_required_text, True),
    "confidence": (_choice(Confidence), True),
    "alignment": (_choice(ClauseMapping.Alignment), True),
    "status": (_choice(ClauseMapping.Status), True),
    "responsible_side": (_choice(ClauseMapping.Side, allow_blank=True), False),
    "target_date": (_date, False),
    "rationale": (_text, False),
    "proposed_action": (_text, False),
    "notes": (_text, False),
    "kz": (_list, False),
    "cn": (_list, False),
    "reference": (_list, False),
}

CLAUSE_SPEC = {
    "standard": (_key, True),
    "ref": (_required_text, True),
    "parent": (_text, False),
    "heading": (_text, False),
    "text_en": (_required_text, True),
    "text_original": (_text, False),
    "language": (_choice(Language, allow_blank=True), False),
    "scope": (_choice(ProductScope), True),
    "species": (_choice(Clause.Species, allow_blank=True), False),
    "topic": (_choice(Topic, allow_blank=True), False),
    "confidence": (_choice(Confidence), True),
    "citation": (_text, False),
    "source_url": (_url, False),
    "limits": (_list, False),
}

CLAUSE_REFERENCE_SPEC = {"standard": (_key, True), "ref": (_required_text, True)}

LIMIT_SPEC = {
    "parameter": (_key, True),
    "kind": (_choice(Limit.Kind), True),
    "value": (_decimal, False),
    "upper_value": (_decimal, False),
    "unit": (_text, False),
    "strict": (_boolean, False),
    "basis": (_text, False),
    "qualifier": (_text, False),
    "matrix": (_text, False),
    "n": (_integer, False),
    "c": (_integer, False),
    "m": (_decimal, False),
    "M": (_decimal, False),
    "note": (_text, False),
}


def _parse_record(raw, spec, file, record):
    if not isinstance(raw, dict):
        raise ReferenceDataError(file, record, None, "expected a mapping of fields")
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise ReferenceDataError(
            file, record, unknown[0], f"unknown field (expected one of: {', '.join(spec)})"
        )
    parsed = {}
    for name, (parser, required) in spec.items():
        if required and (name not in raw or raw[name] in (None, "")):
            raise ReferenceDataError(file, record, name, "is required")
        try:
            parsed[name] = parser(raw.get(name))
        except ValueError as exc:
            raise ReferenceDataError(file, record, name, str(exc)) from None
    return parsed


# --- reading --------------------------------------------------------------------------


@dataclass
class Dataset:
    parameters: dict = field(default_factory=dict)
    standards: dict = field(default_factory=dict)
    # (standard key, ref) -> clause dict (with "limits" parsed and "_where" for messages)
    clauses: dict = field(default_factory=dict)
    mappings: dict = field(default_factory=dict)


def _data_files(directory):
    files = sorted(Path(directory).glob("*.yaml"))
    order = {"parameters.yaml": 0, "documents.yaml": 1}
    return sorted(files, key=lambda p: (order.get(p.name, 2), p.name))


def _check_limit_rules(limit, file, record):
    """The rules the Limit constraints enforce, checked here so the message names the record."""
    kind, value, upper = limit["kind"], limit["value"], limit["upper_value"]

    def fail(field_name, message):
        raise ReferenceDataError(file, record, field_name, message)

    if kind in ("maximum", "minimum") and (value is None or upper is not None):
        fail("value", f"a {kind} needs one value and no upper_value")
    if kind == "range":
        if value is None or upper is None:
            fail("upper_value", "a range needs value and upper_value")
        if value > upper:
            fail("upper_value", f"upper_value {upper} is below value {value}")
    if kind == "absent" and (value is None or value <= 0 or upper is not None):
        fail("value", "an absence needs the sample quantity as a positive value")
    if kind in ("prohibited", "no_limit") and (value is not None or upper is not None):
        fail("value", f"a {kind} limit carries no figures")
    if limit["n"] is not None and limit["n"] < 1:
        fail("n", "n must be at least 1")
    if limit["c"] is not None and (limit["n"] is None or limit["c"] > limit["n"]):
        fail("c", "c needs n and must not exceed it")
    if limit["m"] is not None and limit["M"] is not None and limit["m"] > limit["M"]:
        fail("M", f"M {limit['M']} is below m {limit['m']}")


def read_dataset(directory=DATA_DIR):
    """Parse and cross-check every data file; raise ReferenceDataError on the first fault."""
    directory = Path(directory)
    files = _data_files(directory)
    if not files:
        raise ReferenceDataError(str(directory), "folder", None, "no .yaml data files found")

    data = Dataset()
    clause_refs = []  # (file, record, standard, ref) of clauses referred to by key only

    for path in files:
        name = path.name
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ReferenceDataError(name, "file", None, f"not UTF-8 text ({exc})") from None
        except yaml.YAMLError as exc:
            raise ReferenceDataError(name, "file", None, f"not valid YAML: {exc}") from None
        if content is None:
            continue
        if not isinstance(content, dict):
            raise ReferenceDataError(name, "file", None, "expected top-level lists by name")
        unknown = sorted(set(content) - {"parameters", "standards", "mappings"})
        if unknown:
            raise ReferenceDataError(
                name, "file", unknown[0], "unknown list (expected parameters, standards, mappings)"
            )

        for i, raw in enumerate(_list_or_fail(content, "parameters", name)):
            record = _label(raw, "parameter", f"parameters[{i}]")
            parsed = _parse_record(raw, PARAMETER_SPEC, name, record)
            if parsed["key"] in data.parameters:
                raise ReferenceDataError(name, record, "key", f"duplicate key {parsed['key']!r}")
            data.parameters[parsed["key"]] = parsed

        for i, raw in enumerate(_list_or_fail(content, "standards", name)):
            record = _label(raw, "standard", f"standards[{i}]")
            parsed = _parse_record(raw, STANDARD_SPEC, name, record)
            if parsed["key"] in data.standards:
                raise ReferenceDataError(name, record, "key", "duplicate key")
            parsed["_where"] = (name, record)
            data.standards[parsed["key"]] = parsed

        for i, raw in enumerate(_list_or_fail(content, "mappings", name)):
            record = _label(raw, "mapping", f"mappings[{i}]")
            parsed = _parse_record(raw, MAPPING_SPEC, name, record)
            key = parsed["key"]
            if not MAPPING_KEY_RE.match(key):
                raise ReferenceDataError(name, record, "key", "expected a key like KZCN-001")
            if key in data.mappings:
                raise ReferenceDataError(name, record, "key", "duplicate key")
            sides = {}
            for side in ("kz", "cn", "reference"):
                sides[side] = []
                for j, raw_clause in enumerate(parsed[side]):
                    clause_record = f"{record} {side}[{j}]"
                    if isinstance(raw_clause, dict) and set(raw_clause) == {"standard", "ref"}:
                        ref = _parse_record(raw_clause, CLAUSE_REFERENCE_SPEC, name, clause_record)
                        clause_refs.append((name, clause_record, ref["standard"], ref["ref"]))
                    else:
                        clause = _parse_record(raw_clause, CLAUSE_SPEC, name, clause_record)
                        clause["topic"] = clause["topic"] or parsed["topic"]
                        ident = (clause["standard"], clause["ref"])
                        if ident in data.clauses:
                            raise ReferenceDataError(
                                name,
                                clause_record,
                                "ref",
                                f"clause {ident[1]!r} of {ident[0]!r} is defined twice "
                                "(refer to it by standard and ref alone)",
                            )
                        limits = []
                        for k, raw_limit in enumerate(clause["limits"]):
                            limit_record = f"{clause_record} limits[{k}]"
                            limit = _parse_record(raw_limit, LIMIT_SPEC, name, limit_record)
                            _check_limit_rules(limit, name, limit_record)
                            limit["_where"] = (name, limit_record)
                            limits.append(limit)
                        clause["limits"] = limits
                        clause["_where"] = (name, clause_record)
                        data.clauses[ident] = clause
                        ref = clause
                    sides[side].append((ref["standard"], ref["ref"]))
                if len(set(sides[side])) != len(sides[side]):
                    raise ReferenceDataError(name, record, side, "lists the same clause twice")
            parsed.update(sides)
            parsed["_where"] = (name, record)
            data.mappings[key] = parsed

    _cross_check(data, clause_refs)
    return data


def _label(raw, noun, position):
    """How a record is named in messages: by its key when it has one, else by position."""
    key = raw.get("key") if isinstance(raw, dict) else None
    return f"{noun} {key!r}" if isinstance(key, str) and key else position


def _list_or_fail(content, name, file):
    value = content.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReferenceDataError(file, name, None, "expected a list")
    return value


def _cross_check(data, clause_refs):
    for key, std in data.standards.items():
        for other in std["supersedes"]:
            if other not in data.standards:
                raise ReferenceDataError(
                    *std["_where"], "supersedes", f"unknown standard {other!r}"
                )
            if other == key:
                raise ReferenceDataError(*std["_where"], "supersedes", "supersedes itself")
    codes = Counter(std["code"] for std in data.standards.values())
    for std in data.standards.values():
        if codes[std["code"]] > 1:
            raise ReferenceDataError(*std["_where"], "code", f"code {std['code']!r} is not unique")
    for (std_key, _ref), clause in data.clauses.items():
        if std_key not in data.standards:
            raise ReferenceDataError(*clause["_where"], "standard", f"unknown standard {std_key!r}")
        if clause["parent"] and (std_key, clause["parent"]) not in data.clauses:
            raise ReferenceDataError(
                *clause["_where"], "parent", f"no clause {clause['parent']!r} in {std_key!r}"
            )
        for limit in clause["limits"]:
            if limit["parameter"] not in data.parameters:
                raise ReferenceDataError(
                    *limit["_where"], "parameter", f"unknown parameter {limit['parameter']!r}"
                )
    for file, record, std_key, ref in clause_refs:
        if (std_key, ref) not in data.clauses:
            raise ReferenceDataError(
                file, record, "ref", f"no clause {ref!r} of {std_key!r} defined"
            )


# --- writing --------------------------------------------------------------------------


@dataclass
class LoadSummary:
    counts: Counter = field(default_factory=Counter)

    def add(self, model_name, outcome):
        self.counts[(model_name, outcome)] += 1

    def changed(self):
        return any(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")

    def lines(self):
        for model_name in ("parameters", "standards", "clauses", "limits", "mappings"):
            parts = [
                f"{self.counts[(model_name, o)]} {o}"
                for o in ("created", "updated", "unchanged", "deleted")
                if self.counts[(model_name, o)]
            ]
            yield f"{model_name}: {', '.join(parts) or 'none'}"


def _save(obj, where, created, changed_fields):
    """Validate and save `obj` if it is new or changed; return the outcome's name."""
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise ReferenceDataError(*where, field_name, "; ".join(messages)) from None
    if created or changed_fields:
        obj.save()
        return "created" if created else "updated"
    return "unchanged"


def _assign(obj, values):
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _upsert(existing, model, key, values, where, create_only=None):
    """Create or update the record with this stable key; return (object, outcome)."""
    obj = existing.get(key)
    if obj is None:
        obj = model(**values, **(create_only or {}))
        return obj, _save(obj, where, True, [])
    return obj, _save(obj, where, False, _assign(obj, values))


def _sync_m2m(manager, wanted_objects):
    """Make a many-to-many relation hold exactly these objects; True if it changed."""
    wanted = {o.pk for o in wanted_objects}
    current = {o.pk for o in manager.all()}
    if wanted != current:
        manager.set(wanted_objects)
        return True
    return False


def load_dataset(data, reset_assessments=False):
    """Write a parsed Dataset in one transaction; return a LoadSummary."""
    summary = LoadSummary()
    try:
        with transaction.atomic(), search_text.batched():
            _write(data, summary, reset_assessments)
    except DatabaseError as exc:
        raise ReferenceDataError("database", "write", None, str(exc)) from None
    return summary


def _write(data, summary, reset_assessments):
    parameters = {p.key: p for p in Parameter.objects.all()}
    for key, raw in data.parameters.items():
        values = {k: raw[k] for k in ("key", "name_en", "name_ru", "name_zh", "unit", "family")}
        where = ("parameters", f"parameter {key!r}")
        parameters[key], outcome = _upsert(parameters, Parameter, key, values, where)
        summary.add("parameters", outcome)

    standards = {s.key: s for s in Standard.objects.prefetch_related("supersedes")}
    outcomes = {}
    for key, raw in data.standards.items():
        values = {f: raw[f] for f in STANDARD_SPEC if f != "supersedes"}
        standards[key], outcomes[key] = _upsert(standards, Standard, key, values, raw["_where"])
    for key, raw in data.standards.items():
        changed = _sync_m2m(standards[key].supersedes, [standards[k] for k in raw["supersedes"]])
        summary.add("standards", _combine(outcomes[key], changed))

    existing_clauses = {
        (c.standard.key, c.reference): c
        for c in Clause.objects.select_related("standard").prefetch_related("limits")
    }
    clauses, outcomes = {}, {}
    for ident, raw in data.clauses.items():
        std_key, ref = ident
        values = {
            "standard": standards[std_key],
            "reference": ref,
            "heading": raw["heading"],
            "text_en": raw["text_en"],
            "text_original": raw["text_original"],
            "original_language": raw["language"],
            "product_scope": raw["scope"],
            "species": raw["species"],
            "topic": raw["topic"],
            "confidence": raw["confidence"],
            "citation": raw["citation"],
            "source_url": raw["source_url"],
        }
        clauses[ident], outcomes[ident] = _upsert(
            existing_clauses, Clause, ident, values, raw["_where"]
        )
    for ident, raw in data.clauses.items():
        clause = clauses[ident]
        parent = clauses[(ident[0], raw["parent"])] if raw["parent"] else None
        changed = clause.parent_id != (parent.pk if parent else None)
        if changed:
            clause.parent = parent
            clause.save(update_fields=["parent", "updated_at"])
        summary.add("clauses", _combine(outcomes[ident], changed))
        _sync_limits(clause, raw["limits"], parameters, summary)

    mappings = {
        m.key: m
        for m in ClauseMapping.objects.prefetch_related(
            "kz_clauses", "cn_clauses", "reference_clauses"
        )
    }
    assessment = (
        "alignment",
        "status",
        "rationale",
        "proposed_action",
        "responsible_side",
        "target_date",
    )
    facts = ("key", "title", "product_group", "topic", "confidence", "notes", "sheet_row")
    for key, raw in data.mappings.items():
        values = {f: raw[f] for f in facts}
        create_only = {f: raw[f] for f in assessment}
        if reset_assessments:
            values.update(create_only)
        mapping, outcome = _upsert(
            mappings, ClauseMapping, key, values, raw["_where"], create_only=create_only
        )
        changed = False
        for side, manager in (
            ("kz", mapping.kz_clauses),
            ("cn", mapping.cn_clauses),
            ("reference", mapping.reference_clauses),
        ):
            changed |= _sync_m2m(manager, [clauses[ident] for ident in raw[side]])
        if changed and outcome == "unchanged":
            # Reports key their cache on the data version: a changed link is a change.
            mapping.save(update_fields=["updated_at"])
        summary.add("mappings", _combine(outcome, changed))


def _combine(outcome, relations_changed):
    return "updated" if outcome == "unchanged" and relations_changed else outcome


def _sync_limits(clause, raw_limits, parameters, summary):
    existing = sorted(clause.limits.all(), key=lambda lim: (lim.position, lim.pk))
    for position, raw in enumerate(raw_limits):
        values = {
            "parameter_id": parameters[raw["parameter"]].pk,
            "kind": raw["kind"],
            "value": raw["value"],
            "upper_value": raw["upper_value"],
            "unit": raw["unit"],
            "strict": raw["strict"],
            "basis": raw["basis"],
            "qualifier": raw["qualifier"],
            "matrix": raw["matrix"],
            "plan_n": raw["n"],
            "plan_c": raw["c"],
            "plan_m": raw["m"],
            "plan_big_m": raw["M"],
            "note": raw["note"],
            "position": position,
        }
        if position < len(existing):
            limit = existing[position]
            outcome = _save(limit, raw["_where"], False, _assign(limit, values))
        else:
            outcome = _save(Limit(clause=clause, **values), raw["_where"], True, [])
        summary.add("limits", outcome)
    for limit in existing[len(raw_limits) :]:
        limit.delete()
        summary.add("limits", "deleted")


def load_reference_data(directory=DATA_DIR, reset_assessments=False):
    return load_dataset(read_dataset(directory), reset_assessments=reset_assessments)
