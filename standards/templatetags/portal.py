from django import template

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
    return parameter.local_name(context.get("LANGUAGE_CODE") or "en")


@register.filter
def verdict_label(value):
    """The translated label of a computed verdict (an alignment, or "not comparable")."""
    from django.utils.translation import gettext

    from standards.models import ClauseMapping

    value = getattr(value, "value", value)
    if value in ClauseMapping.Alignment.values:
        return ClauseMapping.Alignment(value).label
    return gettext("Not comparable")


@register.filter
def fold(value):
    """2.5 → "2.5×"; empty when there is no meaningful ratio."""
    from limits.notation import format_number

    return f"{format_number(value)}×" if value is not None else ""


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
