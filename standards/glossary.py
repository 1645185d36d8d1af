"""The glossary: one concept in English, Russian, Kazakh and Chinese, and the forms a
reader may type for it.

- The reference dataset keeps it in `data/reference/glossary.yaml` (`terms:`), which the
  loader reads and writes with the rest (`read_terms`, `write_terms`); editors maintain
  it in the admin, and it is exported and imported with the other spreadsheets.
- Search (standards.search) finds a concept by any of its forms: "свинца", "қорғасын",
  "铅" and "lead" ask for the same thing, so they find the same clauses and mappings.
"""

import re

from django.core.exceptions import ValidationError

from standards.models import GlossaryTerm

LANGUAGES = ("en", "ru", "kk", "zh")
# A form shorter than this is found only as the whole query ("Pb", "Cd"): as a substring
# it would match inside other words. Chinese forms are short by nature ("铅").
SHORTEST_SUBSTRING = 3
# A query this long may stand for a longer form it begins ("сальмонелл" for
# "сальмонеллы"), or a form for a longer query ("сальмонеллы" for "сальмонелла").
SHORTEST_STEM = 4
# Two Chinese characters are already a word (沙门 for 沙门氏菌).
SHORTEST_CJK_STEM = 2
# A query matches at most this many concepts; their forms are what is searched for.
MOST_CONCEPTS = 5
_CJK = re.compile(r"[\u3400-\u9fff]")


class GlossaryError(ValueError):
    pass


def _stem(text):
    """Russian and Kazakh case endings off a word, for comparing inflected forms."""
    return re.sub(r"(ами|ями|ов|ев|ей|ой|ом|ем|ах|ях|ы|и|а|я|у|ю|е|ның|нің|дың|дің)$", "", text)


def _same(query, form):
    if query == form:
        return True
    if _CJK.search(query):
        return len(query) >= SHORTEST_CJK_STEM and form.startswith(query)
    if len(query) < SHORTEST_STEM:
        return False
    if form.startswith(query) or (len(form) >= SHORTEST_STEM and query.startswith(form)):
        return True
    stem = _stem(query)
    return len(stem) >= SHORTEST_STEM and _stem(form) == stem


def concepts_for(query, terms=None):
    """The glossary terms `query` (case-folded, white space collapsed) stands for."""
    query = " ".join(query.split()).casefold()
    if not query:
        return []
    terms = GlossaryTerm.objects.all() if terms is None else terms
    found = [term for term in terms if any(_same(query, form) for form in term.forms())]
    return found[:MOST_CONCEPTS]


def search_forms(query):
    """What to look for when a reader types `query`: the query itself and every form of
    the concepts it stands for, case-folded, those too short to search inside text left
    out."""
    query = " ".join(query.split()).casefold()
    forms = {query}
    for term in concepts_for(query):
        forms |= {
            form for form in term.forms() if len(form) >= SHORTEST_SUBSTRING or _CJK.search(form)
        }
    return sorted(forms)


# --- the reference dataset ------------------------------------------------------------


def _variants(value):
    """Variants as YAML gives them ({language: [forms]} or [forms]): one per line."""
    if value in (None, ""):
        return ""
    lists = value.values() if isinstance(value, dict) else [value]
    forms = []
    for forms_of_language in lists:
        if not isinstance(forms_of_language, list):
            raise GlossaryError("variants: expected lists of forms")
        forms += [str(form).strip() for form in forms_of_language if str(form).strip()]
    return "\n".join(dict.fromkeys(forms))


def read_terms(raw_terms, file):
    """{key: field values} of a `terms:` list; GlossaryError naming the record at fault."""
    terms = {}
    for position, raw in enumerate(raw_terms or []):
        where = f"{file}, terms[{position}]"
        if not isinstance(raw, dict):
            raise GlossaryError(f"{where}: expected a mapping of fields")
        unknown = sorted(set(raw) - {"key", "category", "variants", *LANGUAGES})
        if unknown:
            raise GlossaryError(f"{where}: unknown field {unknown[0]!r}")
        values = {
            "key": str(raw.get("key") or "").strip(),
            "category": str(raw.get("category") or "").strip(),
            **{f"term_{lang}": str(raw.get(lang) or "").strip() for lang in LANGUAGES},
        }
        try:
            values["variants"] = _variants(raw.get("variants"))
            GlossaryTerm(**values).full_clean(validate_unique=False, validate_constraints=False)
        except GlossaryError as exc:
            raise GlossaryError(f"{where}: {exc}") from None
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise GlossaryError(f"{where}, field {name!r}: {' '.join(messages)}") from None
        if values["key"] in terms:
            raise GlossaryError(f"{where}: duplicate key {values['key']!r}")
        terms[values["key"]] = values
    return terms


def write_terms(terms):
    """Create or update the glossary's terms from the dataset; (created, updated,
    unchanged) counts. Terms editors added in the admin stay."""
    existing = {term.key: term for term in GlossaryTerm.objects.all()}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for key, values in terms.items():
        term = existing.get(key)
        if term is None:
            GlossaryTerm.objects.create(**values)
            counts["created"] += 1
            continue
        changed = [name for name, value in values.items() if getattr(term, name) != value]
        for name in changed:
            setattr(term, name, values[name])
        if changed:
            term.save()
        counts["updated" if changed else "unchanged"] += 1
    return counts
