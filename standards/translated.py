"""A record's text in the reader's language, with its real language and its status.

The one place that picks which text a reader sees. Every translatable field has an
English base field and one field per working language (title_ru, title_kk, title_zh…):

- a clause's text in its original language is the official one (text_original); English
  and the other languages are working translations of it;
- a standard's title in its title language is the official one (title_original);
- subjects, rationale, proposed actions and headings are the portal's own texts, written
  in English (the original) and translated into the working languages;
- where a language has no text yet, the reader gets the English text, marked as such.

`Text.html_lang` is the language of the text itself, for its `lang` attribute (WCAG
3.1.2): English inside a Russian page is marked as English.
"""

from dataclasses import dataclass

from standards.wording import base_language

LANGUAGES = ("en", "ru", "kk", "zh")
SUFFIX = {"en": "", "ru": "_ru", "kk": "_kk", "zh": "_zh"}
HTML_LANG = {"en": "en", "ru": "ru", "kk": "kk", "zh": "zh-Hans"}

OFFICIAL = "official"  # the original text of a legal document
ORIGINAL = "original"  # the portal's own text, in the language it was written in
WORKING = "working"  # a working translation, not an official text
MISSING = "missing"  # no text in the reader's language: the English one instead


@dataclass(frozen=True)
class Text:
    text: str
    language: str
    status: str

    @property
    def html_lang(self):
        return HTML_LANG.get(self.language, self.language)

    @property
    def is_translation(self):
        return self.status == WORKING

    def __str__(self):
        return self.text


def field_names(field):
    """The model fields of one translatable field: the base field first."""
    return [f"{field}{SUFFIX[language]}" for language in LANGUAGES]


def english_field(obj, field):
    """The model field of `field`'s English text: "text_en" for a clause's text and
    "title_en" for a standard's title, the field itself elsewhere."""
    return f"{field}_en" if hasattr(obj, f"{field}_en") else field


def translated(obj, field, language=None):
    """`obj`'s `field` for a reader in `language` (the active one by default)."""
    language = base_language(language)
    if language not in SUFFIX:
        language = "en"
    official = _official(obj, field)
    if official is not None and official.language == language:
        return official
    english = getattr(obj, english_field(obj, field)) or ""
    if language == "en":
        status = ORIGINAL if official is None or official.language == "en" else WORKING
        return Text(english, "en", status)
    value = getattr(obj, f"{field}{SUFFIX[language]}", "") or ""
    if value:
        return Text(value, language, WORKING)
    return Text(english, "en", MISSING)


def _official(obj, field):
    """The official original of a clause text or a standard title, where there is one."""
    if field == "text" and hasattr(obj, "text_original"):
        text, language = obj.text_original, obj.original_language
    elif field == "title" and hasattr(obj, "title_original"):
        text, language = obj.title_original, obj.title_language
    else:
        return None
    if not text or not language:
        return None
    return Text(text, base_language(language), OFFICIAL)
