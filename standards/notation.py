"""Plain-text notation of typed limits ("≤ 0.5 mg/kg", "not detected in 25 g").

No Django imports: works on any object with the Limit attributes.
"""

from decimal import Decimal


def format_number(value):
    """A Decimal without exponent or trailing zeros: 0.000003, 100000, -1.5."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def _with_unit(number, unit):
    return f"{number} {unit}".strip() if unit else number


def format_limit(limit):
    kind = limit.kind
    unit = limit.unit or ""
    if kind == "maximum":
        text = f"{'<' if limit.strict else '≤'} {_with_unit(format_number(limit.value), unit)}"
    elif kind == "minimum":
        text = f"{'>' if limit.strict else '≥'} {_with_unit(format_number(limit.value), unit)}"
    elif kind == "range":
        low, high = format_number(limit.value), format_number(limit.upper_value)
        text = _with_unit(f"{low} … {high}", unit)
    elif kind == "absent":
        text = f"not detected in {_with_unit(format_number(limit.value), unit)}"
    elif kind == "prohibited":
        text = "prohibited"
    else:
        text = "no limit set"

    plan = []
    if limit.plan_n is not None:
        plan.append(f"n={limit.plan_n}")
    if limit.plan_c is not None:
        plan.append(f"c={limit.plan_c}")
    if limit.plan_m is not None:
        plan.append(f"m={format_number(limit.plan_m)}")
    if limit.plan_big_m is not None:
        plan.append(f"M={format_number(limit.plan_big_m)}")
    if plan:
        text += f" ({', '.join(plan)})"
    if limit.basis:
        text += f", {limit.basis}"
    if limit.qualifier:
        text += f" — {limit.qualifier}"
    return text
