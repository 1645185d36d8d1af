"""Loading the sourced reference dataset (standards/data/reference/*.yaml).

Reading checks the files' shape, types and cross-references in plain Python, in full,
before anything is written. Writing happens in one transaction and validates every record
by its model's own rules (full_clean: fields, clean(), constraints), the rules the admin
and the spreadsheet import apply. A malformed file stops the load with a message that
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
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction

from standards import (
    catalogue_data,
    glossary,
    pathway_data,
    round_data,
    search_text,
    translations,
    visit_data,
)
from standards.models import (
    ABSENCE_EVIDENCE,
    CONFIDENCE_OF_EVIDENCE,
    CONFIDENCE_RANK,
    FIGURE_EVIDENCE,
    CatalogueCondition,
    Clause,
    ClauseMapping,
    Confidence,
    Evidence,
    Language,
    Limit,
    Parameter,
    Pathway,
    ProductScope,
    Round,
    Standard,
    Topic,
    validate_mapping_key,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "reference"

SIDES = ("kz", "cn", "reference")


class ReferenceDataError(Exception):
    """A fault in the dataset: where it is (file, record, field) and what it is. `code` is
    the code of the model rule that refused the record, where one did."""

    def __init__(self, file, record, field_name, message, code=None):
        self.file, self.record, self.field, self.message = file, record, field_name, message
        self.code = code
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


def _key_of(model, *validators):
    """A parser of `model`'s stable key, by the model's own rules: its key field's
    validators and the `validators` its clean() applies to the key."""

    def parse(value):
        text = _required_text(value)
        try:
            model._meta.get_field("key").run_validators(text)
            for validator in validators:
                validator(text)
        except ValidationError as error:
            raise ValueError(f"{text!r} is not a key: {' '.join(error.messages)}") from None
        return text

    return parse


_parameter_key = _key_of(Parameter)
_standard_key = _key_of(Standard)
_mapping_key = _key_of(ClauseMapping, validate_mapping_key)


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


def _one_of(values):
    def parse(value):
        text = _text(value)
        if text not in values:
            raise ValueError(f"{text!r} is not one of: {', '.join(values)}")
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


def _translations(field):
    """Optional working translations of `field` (standards.translations fills them from
    the translation files): {"title_ru": …, "title_kk": …, "title_zh": …}."""
    return {f"{field}_{language}": (_text, False) for language in ("ru", "kk", "zh")}


PARAMETER_SPEC = {
    "key": (_parameter_key, True),
    "name_en": (_required_text, True),
    "name_ru": (_text, False),
    "name_zh": (_text, False),
    "name_kk": (_text, False),
    "unit": (_text, False),
    "family": (_text, False),
}

STANDARD_SPEC = {
    "key": (_standard_key, True),
    "jurisdiction": (_choice(Standard.Jurisdiction), True),
    "code": (_required_text, True),
    "title_en": (_required_text, True),
    "title_original": (_text, False),
    "title_language": (_choice(Language, allow_blank=True), False),
    **_translations("title"),
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
    "official_publisher": (_text, False),
    "official_url": (_url, False),
    "source": (_text, False),
    "source_url": (_url, False),
    "in_sheet": (_boolean, False),
}

MAPPING_SPEC = {
    "key": (_mapping_key, True),
    "sheet_row": (_integer, False),
    "product_group": (_choice(ClauseMapping.ProductGroup), True),
    "topic": (_choice(Topic), True),
    "title": (_required_text, True),
    **_translations("title"),
    "confidence": (_choice(Confidence), True),
    "alignment": (_choice(ClauseMapping.Alignment), True),
    "status": (_choice(ClauseMapping.Status), True),
    "responsible_side": (_choice(ClauseMapping.Side, allow_blank=True), False),
    "target_date": (_date, False),
    "rationale": (_text, False),
    "proposed_action": (_text, False),
    **_translations("rationale"),
    **_translations("proposed_action"),
    "notes": (_text, False),
    "kz_evidence": (_choice(Evidence), True),
    "kz_evidence_note": (_required_text, True),
    "cn_evidence": (_choice(Evidence), True),
    "cn_evidence_note": (_required_text, True),
    "kz": (_list, False),
    "cn": (_list, False),
    "reference": (_list, False),
}

CLAUSE_SPEC = {
    "standard": (_standard_key, True),
    "ref": (_required_text, True),
    "parent": (_text, False),
    "heading": (_text, False),
    **_translations("heading"),
    "text_en": (_required_text, True),
    **_translations("text"),
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

CLAUSE_REFERENCE_SPEC = {"standard": (_standard_key, True), "ref": (_required_text, True)}

LIMIT_SPEC = {
    "parameter": (_parameter_key, True),
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
    "evidence": (_one_of([e.value for e in FIGURE_EVIDENCE]), True),
    "evidence_note": (_required_text, True),
}

# Dataset field -> model field where the two names differ; every other field has one name.
CLAUSE_FIELDS = {"ref": "reference", "language": "original_language", "scope": "product_scope"}
LIMIT_FIELDS = {"n": "plan_n", "c": "plan_c", "m": "plan_m", "M": "plan_big_m"}
# The fields a clause and a limit copy from the dataset as they are.
CLAUSE_COPIED = [name for name in CLAUSE_SPEC if name not in ("standard", "parent", "limits")]
LIMIT_COPIED = [name for name in LIMIT_SPEC if name != "parameter"]
# A mapping's facts follow the dataset; its assessment is the editors' once it exists.
MAPPING_FACTS = (
    "key",
    "title",
    "title_ru",
    "title_kk",
    "title_zh",
    "product_group",
    "topic",
    "confidence",
    "notes",
    "sheet_row",
    "kz_evidence",
    "kz_evidence_note",
    "cn_evidence",
    "cn_evidence_note",
)
MAPPING_ASSESSMENT = ClauseMapping.ASSESSMENT_FIELDS
# Working translations of the assessment: written where the mapping has none yet, never
# over an editor's.
MAPPING_ASSESSMENT_TRANSLATIONS = tuple(
    f"{field}_{language}"
    for field in ("rationale", "proposed_action")
    for language in ("ru", "kk", "zh")
)

# The model field a constraint's violation is reported on (by the constraint's
# violation_error_code): the figure to correct. A violation not listed names no field.
CONSTRAINT_FIELDS = {
    "limit_kind_valid": "kind",
    "limit_bound_has_one_value": "value",
    "limit_range_ordered": "upper_value",
    "limit_absent_has_quantity": "value",
    "limit_without_figures": "value",
    "limit_plan_n_positive": "plan_n",
    "limit_plan_c_within_n": "plan_c",
    "limit_plan_m_not_above_big_m": "plan_big_m",
    "limit_lod_has_value": "value",
    "limit_evidence_valid": "evidence",
}
# Model field -> dataset field, for messages.
DATASET_NAMES = {
    Clause: {model: name for name, model in CLAUSE_FIELDS.items()},
    Limit: {model: name for name, model in LIMIT_FIELDS.items()},
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
    terms: dict = field(default_factory=dict)  # the glossary, by key
    rounds: dict = field(default_factory=dict)  # the rounds of the talks, by number
    pathways: dict = field(default_factory=dict)  # the market-access pathways, by key
    visits: dict = field(default_factory=dict)  # the site visits and audits, by key
    zones: dict = field(default_factory=dict)  # the disease zones, by key
    catalogue: dict = field(default_factory=dict)  # the export catalogue, by key
    # {language: {section: {key: {field: text}}}}: standards.translations
    translations: dict = field(default_factory=dict)


def _data_files(directory):
    files = sorted(Path(directory).glob("*.yaml"))
    order = {"parameters.yaml": 0, "documents.yaml": 1}
    return sorted(files, key=lambda p: (order.get(p.name, 2), p.name))


def read_dataset(directory=DATA_DIR):
    """Parse and cross-check every data file; raise ReferenceDataError on the first fault."""
    directory = Path(directory)
    files = _data_files(directory)
    if not files:
        raise ReferenceDataError(str(directory), "folder", None, "no .yaml data files found")

    data = Dataset()
    clause_refs = []  # (file, record, standard, ref) of clauses referred to by key only
    for path in files:
        content = _read_file(path)
        _read_parameters(content, path.name, data)
        _read_standards(content, path.name, data)
        _read_mappings(content, path.name, data, clause_refs)
        _read_terms(content, path.name, data)
        _read_rounds(content, path.name, data)
        _read_pathways(content, path.name, data)
        _read_visits(content, path.name, data)
        _read_zones(content, path.name, data)
    _cross_check(data, clause_refs)
    _check_pathways(data)
    _check_visits(data)
    _check_catalogue(data)
    try:
        translations.apply(directory / "translations", data)
    except translations.TranslationError as exc:
        raise ReferenceDataError("translations", "file", None, str(exc)) from None
    return data


def _read_terms(content, file, data):
    try:
        terms = glossary.read_terms(_list_or_fail(content, "terms", file), file)
    except glossary.GlossaryError as exc:
        raise ReferenceDataError(file, "terms", None, str(exc)) from None
    duplicate = sorted(set(terms) & set(data.terms))
    if duplicate:
        raise ReferenceDataError(file, "terms", "key", f"duplicate key {duplicate[0]!r}")
    data.terms.update(terms)


def _read_rounds(content, file, data):
    try:
        rounds = round_data.read_rounds(_list_or_fail(content, "rounds", file), file)
    except round_data.RoundDataError as exc:
        raise ReferenceDataError(file, "rounds", None, str(exc)) from None
    duplicate = sorted(set(rounds) & set(data.rounds))
    if duplicate:
        raise ReferenceDataError(file, "rounds", "number", f"duplicate number {duplicate[0]}")
    for number, values in rounds.items():
        unknown = [key for key in values["agenda"] if key not in data.mappings]
        if unknown:
            raise ReferenceDataError(
                file, f"round {number}", "agenda", f"no mapping {unknown[0]!r} defined"
            )
    data.rounds.update(rounds)


def _read_pathways(content, file, data):
    try:
        pathways = pathway_data.read_pathways(_list_or_fail(content, "pathways", file), file)
    except pathway_data.PathwayDataError as exc:
        raise ReferenceDataError(file, "pathways", None, str(exc)) from None
    duplicate = sorted(set(pathways) & set(data.pathways))
    if duplicate:
        raise ReferenceDataError(file, "pathways", "key", f"duplicate key {duplicate[0]!r}")
    for values in pathways.values():
        values["_file"] = file
    data.pathways.update(pathways)


def _read_zones(content, file, data):
    """The zones (`zones:`) and the catalogue (`catalogue:`) of one file."""
    for name, reader in (
        ("zones", catalogue_data.read_zones),
        ("catalogue", catalogue_data.read_catalogue),
    ):
        try:
            records = reader(_list_or_fail(content, name, file), file)
        except catalogue_data.CatalogueDataError as exc:
            raise ReferenceDataError(file, name, None, str(exc)) from None
        target = getattr(data, name)
        duplicate = sorted(set(records) & set(target))
        if duplicate:
            raise ReferenceDataError(file, name, "key", f"duplicate key {duplicate[0]!r}")
        for values in records.values():
            values["_file"] = file
        target.update(records)


def _check_catalogue(data):
    """The zones, pathways and parameters a pathway or an entry names are the dataset's."""
    for key, values in data.pathways.items():
        unknown = [k for k in values.get("zones", []) if k not in data.zones]
        if unknown:
            raise ReferenceDataError(
                values["_file"], f"pathway {key!r}", "zones", f"no zone {unknown[0]!r} defined"
            )
    for key, values in data.catalogue.items():
        where = (values["_file"], f"catalogue entry {key!r}")
        unknown = [k for k in values["zones"] if k not in data.zones]
        if unknown:
            raise ReferenceDataError(*where, "zones", f"no zone {unknown[0]!r} defined")
        if values["pathway"] and values["pathway"] not in data.pathways:
            raise ReferenceDataError(*where, "pathway", f"no pathway {values['pathway']!r} defined")
        for condition in values["conditions"]:
            parameter = data.parameters.get(condition["parameter"])
            if parameter is None:
                raise ReferenceDataError(
                    *where, "conditions", f"no parameter {condition['parameter']!r} defined"
                )
            try:
                CatalogueCondition(
                    parameter=Parameter(key=parameter["key"], unit=parameter["unit"]),
                    **{name: condition[name] for name in catalogue_data.CONDITION_FIELDS},
                ).full_clean(exclude=["entry", "parameter"], validate_unique=False)
            except ValidationError as exc:
                name, messages = next(iter(exc.message_dict.items()))
                raise ReferenceDataError(
                    *where, f"conditions: {name}", " ".join(messages)
                ) from None


def _check_pathways(data):
    """A pathway's mappings and rounds are the dataset's (all files read)."""
    for key, values in data.pathways.items():
        where = (values["_file"], f"pathway {key!r}")
        unknown = [k for k in values["mappings"] if k not in data.mappings]
        if unknown:
            raise ReferenceDataError(*where, "mappings", f"no mapping {unknown[0]!r} defined")
        unknown = [n for n in values["rounds"] if n not in data.rounds]
        if unknown:
            raise ReferenceDataError(*where, "rounds", f"no round {unknown[0]} defined")


def _read_visits(content, file, data):
    try:
        visits = visit_data.read_visits(_list_or_fail(content, "visits", file), file)
    except visit_data.VisitDataError as exc:
        raise ReferenceDataError(file, "visits", None, str(exc)) from None
    duplicate = sorted(set(visits) & set(data.visits))
    if duplicate:
        raise ReferenceDataError(file, "visits", "key", f"duplicate key {duplicate[0]!r}")
    for values in visits.values():
        values["_file"] = file
    data.visits.update(visits)


def _check_visits(data):
    """A visit's pathways and rounds are the dataset's (all files read)."""
    for key, values in data.visits.items():
        where = (values["_file"], f"visit {key!r}")
        unknown = [k for k in values["pathways"] if k not in data.pathways]
        if unknown:
            raise ReferenceDataError(*where, "pathways", f"no pathway {unknown[0]!r} defined")
        unknown = [n for n in values["rounds"] if n not in data.rounds]
        if unknown:
            raise ReferenceDataError(*where, "rounds", f"no round {unknown[0]} defined")


def _read_file(path):
    """The top-level lists of one data file by name ({} for an empty file)."""
    name = path.name
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(name, "file", None, f"not UTF-8 text ({exc})") from None
    except yaml.YAMLError as exc:
        raise ReferenceDataError(name, "file", None, f"not valid YAML: {exc}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ReferenceDataError(name, "file", None, "expected top-level lists by name")
    lists = {
        "parameters",
        "standards",
        "mappings",
        "terms",
        "rounds",
        "pathways",
        "zones",
        "catalogue",
        "visits",
    }
    unknown = sorted(set(content) - lists)
    if unknown:
        raise ReferenceDataError(
            name,
            "file",
            unknown[0],
            "unknown list (expected parameters, standards, mappings, terms, rounds, "
            "pathways, zones, catalogue, visits)",
        )
    return content


def _read_parameters(content, file, data):
    for i, raw in enumerate(_list_or_fail(content, "parameters", file)):
        record = _label(raw, "parameter", f"parameters[{i}]")
        parsed = _parse_record(raw, PARAMETER_SPEC, file, record)
        if parsed["key"] in data.parameters:
            raise ReferenceDataError(file, record, "key", f"duplicate key {parsed['key']!r}")
        data.parameters[parsed["key"]] = parsed


def _read_standards(content, file, data):
    for i, raw in enumerate(_list_or_fail(content, "standards", file)):
        record = _label(raw, "standard", f"standards[{i}]")
        parsed = _parse_record(raw, STANDARD_SPEC, file, record)
        if parsed["key"] in data.standards:
            raise ReferenceDataError(file, record, "key", "duplicate key")
        parsed["_where"] = (file, record)
        data.standards[parsed["key"]] = parsed


def _read_mappings(content, file, data, clause_refs):
    for i, raw in enumerate(_list_or_fail(content, "mappings", file)):
        record = _label(raw, "mapping", f"mappings[{i}]")
        parsed = _parse_record(raw, MAPPING_SPEC, file, record)
        if parsed["key"] in data.mappings:
            raise ReferenceDataError(file, record, "key", "duplicate key")
        for side in SIDES:
            parsed[side] = _read_side(parsed, side, file, record, data, clause_refs)
        parsed["_where"] = (file, record)
        data.mappings[parsed["key"]] = parsed


def _read_side(mapping, side, file, record, data, clause_refs):
    """The (standard, ref) of the clauses one side of a mapping lists: clauses defined
    here are parsed into data.clauses, clauses referred to by key go to clause_refs."""
    idents = []
    for j, raw in enumerate(mapping[side]):
        clause_record = f"{record} {side}[{j}]"
        if isinstance(raw, dict) and set(raw) == {"standard", "ref"}:
            ref = _parse_record(raw, CLAUSE_REFERENCE_SPEC, file, clause_record)
            clause_refs.append((file, clause_record, ref["standard"], ref["ref"]))
        else:
            ref = _read_clause(raw, mapping["topic"], file, clause_record, data)
        idents.append((ref["standard"], ref["ref"]))
    if len(set(idents)) != len(idents):
        raise ReferenceDataError(file, record, side, "lists the same clause twice")
    return idents


def _read_clause(raw, topic, file, record, data):
    clause = _parse_record(raw, CLAUSE_SPEC, file, record)
    clause["topic"] = clause["topic"] or topic
    ident = (clause["standard"], clause["ref"])
    if ident in data.clauses:
        raise ReferenceDataError(
            file,
            record,
            "ref",
            f"clause {ident[1]!r} of {ident[0]!r} is defined twice "
            "(refer to it by standard and ref alone)",
        )
    clause["limits"] = [
        _read_limit(raw_limit, file, f"{record} limits[{k}]")
        for k, raw_limit in enumerate(clause["limits"])
    ]
    clause["_where"] = (file, record)
    data.clauses[ident] = clause
    return clause


def _read_limit(raw, file, record):
    """A limit's fields; the rules between them are the Limit model's constraints,
    validated when the limit is written."""
    limit = _parse_record(raw, LIMIT_SPEC, file, record)
    limit["_where"] = (file, record)
    return limit


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
    _check_standards(data)
    _check_clauses(data)
    for file, record, std_key, ref in clause_refs:
        if (std_key, ref) not in data.clauses:
            raise ReferenceDataError(
                file, record, "ref", f"no clause {ref!r} of {std_key!r} defined"
            )
    for mapping in data.mappings.values():
        _check_evidence(mapping, data)


def _check_evidence(mapping, data):
    """A side's evidence fits the side (a figure's for clauses, an absence's for none), and
    the mapping claims no more confidence than its weakest side allows."""
    levels = []
    for side in ("kz", "cn"):
        evidence = mapping[f"{side}_evidence"]
        fits = FIGURE_EVIDENCE if mapping[side] else ABSENCE_EVIDENCE
        if evidence not in fits:
            raise ReferenceDataError(
                *mapping["_where"],
                f"{side}_evidence",
                f"{evidence!r} does not fit a side with "
                + ("clauses" if mapping[side] else "no clause")
                + f"; expected one of: {', '.join(fits)}",
            )
        levels.append(CONFIDENCE_OF_EVIDENCE[evidence])
        levels += [data.clauses[ident]["confidence"] for ident in mapping[side]]
    ceiling = max(levels, key=CONFIDENCE_RANK.__getitem__)
    if CONFIDENCE_RANK[mapping["confidence"]] < CONFIDENCE_RANK[ceiling]:
        raise ReferenceDataError(
            *mapping["_where"],
            "confidence",
            f"{mapping['confidence']!r} is firmer than the weakest side allows ({ceiling!r})",
        )


def _check_standards(data):
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


def _check_clauses(data):
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


# --- writing --------------------------------------------------------------------------


@dataclass
class LoadSummary:
    counts: Counter = field(default_factory=Counter)
    # (model name, record, changed fields) of every record updated or deleted.
    changes: list = field(default_factory=list)

    def add(self, model_name, outcome, obj=None, where=None):
        self.counts[(model_name, outcome)] += 1
        if outcome in ("updated", "deleted") and where is not None:
            fields = getattr(obj, "_changed_fields", None) or ["links"]
            self.changes.append((model_name, where[1], fields if outcome == "updated" else []))

    def change_lines(self):
        """ "updated mapping 'KZCN-008': confidence, kz_evidence" for every change."""
        for _model, record, fields in self.changes:
            what = f": {', '.join(fields)}" if fields else ""
            verb = "deleted" if not fields else "updated"
            yield f"{verb} {record}{what}"

    def changed(self):
        return any(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")

    def lines(self):
        for model_name in (
            "parameters",
            "standards",
            "clauses",
            "limits",
            "mappings",
            "glossary",
            "rounds",
            "pathways",
            "milestones",
            "visits",
            "zones",
            "catalogue",
        ):
            parts = [
                f"{self.counts[(model_name, o)]} {o}"
                for o in ("created", "updated", "unchanged", "deleted", "kept")
                if self.counts[(model_name, o)]
            ]
            yield f"{model_name}: {', '.join(parts) or 'none'}"


def _save(obj, where, created, changed_fields):
    """Validate `obj` by its model's rules and save it if it is new or changed; return
    the outcome's name. Its constraints are validated when it is to be written: an
    unchanged record is the stored row, which the database's constraints already hold
    (and a check costs a query per constraint)."""
    write = created or bool(changed_fields)
    obj._changed_fields = list(changed_fields)
    try:
        obj.full_clean(validate_unique=False, validate_constraints=write)
    except ValidationError as exc:
        raise _refusal(exc, obj, where) from None
    if write:
        obj.save()
        return "created" if created else "updated"
    return "unchanged"


def _refusal(error, obj, where):
    """The first fault full_clean() found in `obj` as a ReferenceDataError on the
    dataset's field: a field's own messages, or one constraint's message and code on the
    field its rule is about (CONSTRAINT_FIELDS)."""
    name, errors = next(iter(error.error_dict.items()))
    if name == NON_FIELD_ERRORS:
        errors = errors[:1]
        name = CONSTRAINT_FIELDS.get(errors[0].code)
    field_name = DATASET_NAMES.get(type(obj), {}).get(name, name)
    message = "; ".join(text for e in errors for text in e.messages)
    return ReferenceDataError(*where, field_name, message, code=errors[0].code)


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


def _count(summary, part, error, field, write, *args):
    """Run one data part's writer: its counts into `summary` under `part`, its error
    (`error`) as a ReferenceDataError naming the part and `field`. Returns what the
    writer returns besides its counts (None when it returns the counts alone)."""
    try:
        written = write(*args)
    except error as exc:
        raise ReferenceDataError(part, "write", field, str(exc)) from None
    counts, *rest = written if isinstance(written, tuple) else (written,)
    for outcome, count in counts.items():
        summary.counts[(part, outcome)] += count
    return rest[0] if rest else None


def _write(data, summary, reset_assessments):
    parameters = _write_parameters(data, summary)
    standards = _write_standards(data, summary)
    clauses = _write_clauses(data, standards, parameters, summary)
    mappings = _write_mappings(data, clauses, summary, reset_assessments)
    for outcome, count in glossary.write_terms(data.terms).items():
        summary.counts[("glossary", outcome)] += count
    _count(summary, "rounds", round_data.RoundDataError, "number", round_data.write_rounds,
           data.rounds, mappings)  # fmt: skip
    # The dataset's rounds only: an editor's round that kept a number is not linked.
    rounds = {
        r.number: r
        for r in Round.objects.filter(number__in=_round_numbers(data), from_dataset=True)
    }
    zones = _count(summary, "zones", catalogue_data.CatalogueDataError, "key",
                   catalogue_data.write_zones, data.zones)  # fmt: skip
    milestone_counts = _count(summary, "pathways", pathway_data.PathwayDataError, "key",
                              pathway_data.write_pathways, data.pathways, mappings, rounds,
                              zones)  # fmt: skip
    for outcome, count in milestone_counts.items():
        summary.counts[("milestones", outcome)] += count
    # The dataset's pathways and rounds only, as for the pathways' links.
    visit_rounds = {
        r.number: r
        for r in Round.objects.filter(
            number__in={n for v in data.visits.values() for n in v["rounds"]}, from_dataset=True
        )
    }
    visit_pathways = {
        p.key: p
        for p in Pathway.objects.filter(
            key__in={k for v in data.visits.values() for k in v["pathways"]}
        )
    }
    _count(summary, "visits", visit_data.VisitDataError, "key", visit_data.write_visits,
           data.visits, visit_pathways, visit_rounds)  # fmt: skip
    pathways = {p.key: p for p in Pathway.objects.filter(key__in=data.pathways)}
    _count(summary, "catalogue", catalogue_data.CatalogueDataError, "key",
           catalogue_data.write_catalogue, data.catalogue, zones, pathways)  # fmt: skip


def _round_numbers(data):
    return {n for values in data.pathways.values() for n in values["rounds"]}


def _write_parameters(data, summary):
    """Parameters by key, every one of the dataset written."""
    parameters = {p.key: p for p in Parameter.objects.all()}
    for key, raw in data.parameters.items():
        values = {name: raw[name] for name in PARAMETER_SPEC}
        where = ("parameters", f"parameter {key!r}")
        parameters[key], outcome = _upsert(parameters, Parameter, key, values, where)
        summary.add("parameters", outcome, parameters[key], where)
    return parameters


def _write_standards(data, summary):
    """Standards by key, every one of the dataset written with what it supersedes."""
    standards = {s.key: s for s in Standard.objects.prefetch_related("supersedes")}
    outcomes = {}
    for key, raw in data.standards.items():
        values = {name: raw[name] for name in STANDARD_SPEC if name != "supersedes"}
        standards[key], outcomes[key] = _upsert(standards, Standard, key, values, raw["_where"])
    # Once every standard exists: a standard may supersede one defined after it.
    for key, raw in data.standards.items():
        changed = _sync_m2m(standards[key].supersedes, [standards[k] for k in raw["supersedes"]])
        summary.add("standards", _combine(outcomes[key], changed), standards[key], raw["_where"])
    return standards


def _write_clauses(data, standards, parameters, summary):
    """The dataset's clauses by (standard key, ref), written with parents and limits."""
    existing = {
        (c.standard.key, c.reference): c
        for c in Clause.objects.select_related("standard").prefetch_related("limits")
    }
    clauses, outcomes = {}, {}
    for ident, raw in data.clauses.items():
        values = {CLAUSE_FIELDS.get(name, name): raw[name] for name in CLAUSE_COPIED}
        values["standard"] = standards[ident[0]]
        clauses[ident], outcomes[ident] = _upsert(existing, Clause, ident, values, raw["_where"])
    # Once every clause exists: a parent may be defined after its children.
    for ident, raw in data.clauses.items():
        clause = clauses[ident]
        parent = clauses[(ident[0], raw["parent"])] if raw["parent"] else None
        changed = clause.parent_id != (parent.pk if parent else None)
        if changed:
            clause.parent = parent
            clause.save(update_fields=["parent", "updated_at"])
        summary.add("clauses", _combine(outcomes[ident], changed), clause, raw["_where"])
        _sync_limits(clause, raw["limits"], parameters, summary)
    return clauses


def _write_mappings(data, clauses, summary, reset_assessments):
    existing = {
        m.key: m
        for m in ClauseMapping.objects.prefetch_related(
            "kz_clauses", "cn_clauses", "reference_clauses"
        )
    }
    for key, raw in data.mappings.items():
        values = {name: raw[name] for name in MAPPING_FACTS}
        create_only = {name: raw[name] for name in MAPPING_ASSESSMENT}
        if reset_assessments:
            values.update(create_only)
        if key in existing:
            values.update(
                (name, raw[name])
                for name in MAPPING_ASSESSMENT_TRANSLATIONS
                if raw[name] and not getattr(existing[key], name)
            )
        else:
            create_only.update((name, raw[name]) for name in MAPPING_ASSESSMENT_TRANSLATIONS)
        mapping, outcome = _upsert(
            existing, ClauseMapping, key, values, raw["_where"], create_only=create_only
        )
        changed = False
        for side in SIDES:
            manager = getattr(mapping, f"{side}_clauses")
            changed |= _sync_m2m(manager, [clauses[ident] for ident in raw[side]])
        if changed and outcome == "unchanged":
            # Reports key their cache on the data version: a changed link is a change.
            mapping.save(update_fields=["updated_at"])
        summary.add("mappings", _combine(outcome, changed), mapping, raw["_where"])
        existing[key] = mapping
    return existing


def _combine(outcome, relations_changed):
    return "updated" if outcome == "unchanged" and relations_changed else outcome


def _sync_limits(clause, raw_limits, parameters, summary):
    existing = sorted(clause.limits.all(), key=lambda lim: (lim.position, lim.pk))
    for position, raw in enumerate(raw_limits):
        values = {
            "parameter_id": parameters[raw["parameter"]].pk,
            **{LIMIT_FIELDS.get(name, name): raw[name] for name in LIMIT_COPIED},
            "position": position,
        }
        if position < len(existing):
            limit = existing[position]
            outcome = _save(limit, raw["_where"], False, _assign(limit, values))
        else:
            limit = Limit(clause=clause, **values)
            outcome = _save(limit, raw["_where"], True, [])
        summary.add("limits", outcome, limit, raw["_where"])
    for limit in existing[len(raw_limits) :]:
        limit.delete()
        summary.add("limits", "deleted", limit, ("", f"limit {limit.pk} of {clause}"))


def load_reference_data(directory=DATA_DIR, reset_assessments=False):
    return load_dataset(read_dataset(directory), reset_assessments=reset_assessments)
