from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from standards import times, wording
from standards.rows import renderer, translated_html
from standards.translated import OFFICIAL, english_field, translated

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def parameter_name(context, parameter):
    """A parameter's name in the interface language (English where none is recorded)."""
    return wording.parameter_name(parameter, context.get("LANGUAGE_CODE") or "en")


@register.simple_tag
def mapping_badges(mapping):
    """A mapping's alignment and status badges (standards.rows)."""
    return mark_safe(renderer().badges(mapping))


@register.simple_tag
def limits_compared(computed):
    """The limits table of a mapping and the alignment computed from it (standards.rows)."""
    return mark_safe(renderer().limits(computed))


@register.simple_tag
def official_citation(standard):
    """The official citation of a document: issuer, number, date and publisher, never
    where the team read a copy."""
    from django.utils.translation import gettext

    parts = [standard.issuing_body, standard.code]
    if standard.adopted:
        parts.append(gettext("adopted %(date)s") % {"date": standard.adopted.isoformat()})
    if standard.official_publisher:
        parts.append(
            gettext("published by %(publisher)s") % {"publisher": standard.official_publisher}
        )
    return "; ".join(part for part in parts if part)


@register.simple_tag
def side_evidence(mapping, side):
    """The evidence of one side of a mapping, in words."""
    return mapping.side_evidence(side).label


@register.simple_tag
def verdict_text(result):
    """A comparison's verdict with its fold and difference: "China stricter, 2.5×"."""
    return mark_safe(renderer().amount(result))


@register.simple_tag
def comparison_text(computed):
    """Why the limits of a mapping compare as they do, in the active language."""
    return renderer().sentence(computed.result.message, wording.parameters_of(computed))


@register.filter
def css_string(value):
    """Text safe inside a double-quoted CSS string (for @page margin boxes)."""
    text = str(value)
    for char, escaped in (("\\", "\\5c "), ('"', "\\22 "), ("\n", "\\a "), ("<", "\\3c ")):
        text = text.replace(char, escaped)
    return text


@register.filter
def web_url(value):
    """The address if it is an http(s) one, else "": a source link is never a
    `javascript:` or `data:` URL, whatever reached the database."""
    from urllib.parse import urlsplit

    text = str(value or "").strip()
    return text if urlsplit(text).scheme.lower() in ("http", "https") else ""


@register.simple_tag
def tr(obj, field, language=None, tag="span", css=""):
    """`obj`'s `field` in the reader's language (standards.translated), in an element
    that carries the text's real language, marked † where it is a working translation."""
    return mark_safe(translated_html(obj, field, language, tag, css))


@register.simple_tag
def tr_english(obj, field, language=None):
    """The English text one toggle away, where the reader sees another language."""
    text = translated(obj, field, language)
    if text.language == "en":
        return ""
    english = getattr(obj, english_field(obj, field)) or ""
    if not english:
        return ""
    return format_html(
        '<details class="english-text"><summary>{}</summary><p class="clause-text mb-1" '
        'lang="en">{}</p></details>',
        gettext("English working text"),
        english,
    )


@register.filter
def shows_original(obj, field="text"):
    """Whether the reader's text of `obj` is already its official original (so the
    original is not printed a second time)."""
    return translated(obj, field).status == OFFICIAL


@register.simple_tag
def redline(old, new):
    """A word-level redline of two texts (standards.redline): escaped, <del> and <ins>."""
    from standards.redline import redline as mark

    return mark(old or "", new or "")


@register.filter
def local_time(value):
    """A moment in the portal's time zone, with the zone (standards.times.local_time)."""
    return times.local_time(value)
