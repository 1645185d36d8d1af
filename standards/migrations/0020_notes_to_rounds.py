from django.db import migrations

MOVED_SOURCE = "moved from the notes' free-text meeting field"


def notes_to_rounds(apps, schema_editor):
    """One round for each distinct free-text meeting of the notes, numbered in the order
    of its earliest note (after any round already recorded), starting on that date; the
    notes are linked to it. The meeting text itself stays on the notes."""
    NegotiationNote = apps.get_model("standards", "NegotiationNote")
    Round = apps.get_model("standards", "Round")
    earliest, notes = {}, {}
    rows = NegotiationNote.objects.filter(round__isnull=True).values_list("pk", "meeting", "date")
    for pk, meeting, date in rows:
        meeting = " ".join(meeting.split())
        if not meeting:
            continue
        notes.setdefault(meeting, []).append(pk)
        if meeting not in earliest or date < earliest[meeting]:
            earliest[meeting] = date
    last = Round.objects.order_by("-number").values_list("number", flat=True).first() or 0
    ordered = sorted(earliest.items(), key=lambda item: (item[1], item[0]))
    for number, (meeting, date) in enumerate(ordered, start=last + 1):
        round_ = Round.objects.create(
            number=number,
            title=meeting,
            starts_on=date,
            source=MOVED_SOURCE,
            confidence="low",
        )
        NegotiationNote.objects.filter(pk__in=notes[meeting]).update(round=round_)


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0019_rounds"),
    ]

    operations = [
        migrations.RunPython(notes_to_rounds, migrations.RunPython.noop),
    ]
