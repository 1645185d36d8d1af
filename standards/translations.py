"""Working translations of the reference dataset (data/reference/translations/<lang>/).

Each file holds one language's working translations of one data file: mapping subjects,
rationale and proposed actions by mapping key, clause headings and texts by
"<standard key>|<reference>", standard titles and parameter names by key. They are not
official texts: the original in its binding language stays the binding one.

`apply` reads every file, refuses a translation of a record the dataset does not have
(so a renamed key cannot leave a translation behind unseen), and hands each text to the
dataset's record as the model field that keeps it (title_ru, text_zh, name_kk…), where the
dataset itself gives none. standards.translated picks the text a reader sees.
"""

from pathlib import Path

import yaml

LANGUAGES = ("ru", "kk", "zh-hans")
# The suffix of the model fields of each language (standards.translated.SUFFIX).
FIELD_SUFFIX = {"ru": "_ru", "kk": "_kk", "zh-hans": "_zh"}
SECTIONS = ("mappings", "clauses", "standards", "parameters")
FIELDS = {
    "mappings": {"title", "rationale", "proposed_action"},
    "clauses": {"heading", "text"},
    "standards": {"title"},
    "parameters": {"name"},
}


class TranslationError(ValueError):
    pass


def read(directory):
    """{language: {section: {key: {field: text}}}} of every translation file."""
    found = {}
    for language in LANGUAGES:
        for path in sorted((Path(directory) / language).glob("*.yaml")):
            _merge(found.setdefault(language, {}), _read_file(path, language))
    return found


def _read_file(path, language):
    where = f"translations/{language}/{path.name}"
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TranslationError(f"{where}: not readable YAML ({exc})") from None
    if not isinstance(content, dict) or content.get("language") != language:
        raise TranslationError(f"{where}: expected 'language: {language}' and sections")
    unknown = sorted(set(content) - {"language", "source", *SECTIONS})
    if unknown:
        raise TranslationError(f"{where}: unknown section {unknown[0]!r}")
    parsed = {}
    for section in SECTIONS:
        records = content.get(section) or {}
        if not isinstance(records, dict):
            raise TranslationError(f"{where}: {section} must be records by key")
        for key, fields in records.items():
            if not isinstance(fields, dict) or not set(fields) <= FIELDS[section]:
                raise TranslationError(
                    f"{where}: {section} {key!r}: fields must be among {sorted(FIELDS[section])}"
                )
            texts = {name: str(text).strip() for name, text in fields.items() if text}
            parsed.setdefault(section, {})[str(key)] = texts
    return parsed


def _merge(into, parsed):
    for section, records in parsed.items():
        for key, fields in records.items():
            into.setdefault(section, {}).setdefault(key, {}).update(fields)


def _known_keys(data):
    return {
        "mappings": set(data.mappings),
        "clauses": {f"{standard}|{reference}" for standard, reference in data.clauses},
        "standards": set(data.standards),
        "parameters": set(data.parameters),
    }


def apply(directory, data):
    """Check every translation against the dataset `data` and hand it what the models
    store; TranslationError for a translation of a record the dataset does not have."""
    if not Path(directory).is_dir():
        data.translations = {}
        return
    found = read(directory)
    known = _known_keys(data)
    for language, sections in found.items():
        for section, records in sections.items():
            missing = sorted(set(records) - known[section])
            if missing:
                raise TranslationError(
                    f"translations/{language}: {section} {missing[0]!r} is not in the dataset"
                )
    for language, sections in found.items():
        for section, records in sections.items():
            for key, fields in records.items():
                record = _record(data, section, key)
                for name, text in fields.items():
                    target = f"{name}{FIELD_SUFFIX[language]}"
                    if not record.get(target):
                        record[target] = text
    data.translations = found


def _record(data, section, key):
    if section == "clauses":
        standard, reference = key.split("|", 1)
        return data.clauses[(standard, reference)]
    return getattr(data, section)[key]
