"""How the portal writes a moment and a day: every time shown with its time zone, and
every dated file name with the portal's local date (settings.TIME_ZONE), not UTC's."""

from django.utils import timezone


def zone_name(moment):
    """The zone of an aware local time as readers know it: its abbreviation where the
    zone has one ("CET"), else its offset from UTC ("UTC+05:00")."""
    name = moment.tzname() or ""
    if name and name[0] not in "+-" and not name.startswith("UTC"):
        return name
    offset = moment.utcoffset()
    if offset is None:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def local_time(value):
    """`value` (an aware datetime) in the portal's time zone, with the zone:
    "2026-12-03 17:05 UTC+05:00". Empty for no value."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} {zone_name(local)}"


def dated_file_name(stem, extension):
    """A download's file name carrying the portal's local date: "Limit-2026-12-04.csv"."""
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"
