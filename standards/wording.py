"""Comparison sentences, parameter names and product names in the reader's language.

limits.compare gives its reasons as codes with arguments (limits.wording); here they are
written through gettext in the active language, with parameter names from
`parameter_name`, the one place a parameter's name is chosen for a reader. Nothing a
reader gets from here is a parameter key or a slug.
"""

from django.utils.translation import get_language, gettext, gettext_noop, pgettext

from limits import wording

# Product and residue-definition keys of the limits (Limit.matrix, Parameter.family).
KEY_WORDS = {
    "canned-meat": gettext_noop("canned meat"),
    "core-before-cold-store": gettext_noop("core, before the cold store"),
    "deep-frozen": gettext_noop("deep-frozen"),
    "deep-frozen-poultry-baby-food": gettext_noop("deep-frozen poultry for baby food"),
    "frozen": gettext_noop("frozen"),
    "frozen-poultry-baby-food": gettext_noop("frozen poultry for baby food"),
    "frozen-slaughter-products": gettext_noop("frozen slaughter products"),
    "kidney": gettext_noop("kidney"),
    "liver": gettext_noop("liver"),
    "livestock-meat": gettext_noop("livestock meat"),
    "meat": gettext_noop("meat"),
    "meat-products": gettext_noop("meat products"),
    "offal": gettext_noop("offal"),
    "offal-products": gettext_noop("offal products"),
    "poultry": gettext_noop("poultry"),
    "poultry-baby-food": gettext_noop("poultry for baby food"),
    "smoked-meat-products": gettext_noop("smoked meat products"),
    "meat-temperature": gettext_noop("meat temperature"),
    "nitrite": gettext_noop("nitrite"),
    "nitrosamines": gettext_noop("nitrosamines"),
}

# Bases of the reference data's limits, shown in the comparison's words (Limit.basis is
# free text: any other basis is shown as it was entered).
BASIS_WORDS = (
    gettext_noop("fat basis"),
    gettext_noop("as NaNO2"),
    gettext_noop("combined"),
    gettext_noop("product temperature"),
    gettext_noop("storage temperature"),
)

# The name fields of a Parameter, by language, before English (an empty one is skipped).
NAME_FIELDS = {"ru": ("name_ru",), "kk": ("name_kk",), "zh": ("name_zh",)}


def base_language(language=None):
    """ "en", "ru", "kk" or "zh" for a language code ("zh-hans" → "zh")."""
    return (language or get_language() or "en").lower().split("-")[0].split("_")[0]


def parameter_name(parameter, language=None):
    """A parameter's name for a reader in `language` (the active one by default): the
    name in that language where there is one, else the English name. The one place a
    parameter's name is chosen: a Kazakh name or a glossary belongs here."""
    for field in (*NAME_FIELDS.get(base_language(language), ()), "name_en"):
        name = getattr(parameter, field, "")
        if name:
            return name
    return key_words(parameter.key)


def key_words(key):
    """A product or family key in words: "offal-products" → "offal products"."""
    return gettext(KEY_WORDS[key]) if key in KEY_WORDS else key.replace("-", " ")


def _country_words():
    return {
        ("name", "kz"): gettext("Kazakhstan"),
        ("name", "cn"): gettext("China"),
        ("of", "kz"): gettext("Kazakhstan's"),
        ("of", "cn"): gettext("China's"),
        ("adj", "kz"): pgettext("of a side", "Kazakh"),
        ("adj", "cn"): pgettext("of a side", "Chinese"),
    }


# Lists in Chinese use the enumeration comma and full-width semicolon.
SEPARATORS = {"zh": {", ": "、", "; ": "；"}}


class LocalWords(wording.Words):
    """The words of a reason in the active language. `parameters` maps keys to Parameter
    rows already at hand; others are looked up once."""

    def __init__(self, parameters=None):
        self.language = base_language()
        self.parameters = dict(parameters or {})
        self.countries = _country_words()

    def template(self, reason):
        return gettext(reason.template)

    def country(self, country):
        return self.countries[(country.form, country.side)]

    def parameter(self, param):
        name = self.parameter_name(param.key)
        if not param.matrix:
            return name
        return gettext("%(parameter)s (%(matrix)s)") % {
            "parameter": name,
            "matrix": self.matrix(param.matrix),
        }

    def parameter_name(self, key):
        if key not in self.parameters:
            from standards.models import Parameter

            self.parameters[key] = Parameter.objects.filter(key=key).first()
        parameter = self.parameters[key]
        return parameter_name(parameter) if parameter is not None else key_words(key)

    def matrix(self, key):
        return key_words(key)

    def family(self, key):
        return key_words(key)

    def term(self, text):
        return gettext(text) if text else text

    def separator(self, separator):
        return SEPARATORS.get(self.language, {}).get(separator, separator)


def text(message, parameters=None):
    """A comparison's message (a Reason, or a tuple of them) in the active language."""
    return wording.render(message, LocalWords(parameters))


def parameters_of(computed):
    """{key: Parameter} of the limits of a ComputedAlignment's rows."""
    return {
        limit.parameter.key: limit.parameter
        for _pair, kz, cn in computed.rows
        for limit in (kz, cn)
        if limit is not None
    }
