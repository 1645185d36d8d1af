"""The establishment register's rules, in one place: the five-year registration and its
renewal window (Decree 248, Art. 20: renewal is filed 3 to 6 months before expiry), the
status as of a day (expired once the expiry has passed), the renewals due, and the
activities and products held as several codes in one field.

Dates:
- expiry = listing date + 5 years, on the same day of the month (a listing on 29 February
  expires on 28 February);
- renewal window = (expiry - 6 months, expiry - 3 months), both days included; a month is
  counted by the calendar, and a day that the target month lacks becomes its last day
  (an expiry on 31 August opens its window on 28 or 29 February and closes it on 31 May;
  one on 30 November closes it on 30 August).

Renewal due on a day (`renewals_due`): a plant whose recorded status is listed or
suspended (not expired), that has a listing date, and whose renewal of the current
registration was not filed (no filing date, or one before the listing date), when on that
day
- its window is open: `open`, or `closing` when it closes within 30 days (CLOSING_SOON);
- its window has closed but the registration has not expired: `late`;
- its registration has expired and nobody has recorded a renewal or the expiry: `lapsed`.
A window that opens later is not due yet.

The periods are Decree 248's (Art. 20, from secondary sources: MARKET_ACCESS.md §1.4).
Decree 248 is reported to be replaced by GACC Order No. 280 from 2026-06-01 (not verified
against the GACC original); whether Order 280 keeps them has not been read.

Status as of a day (`current_status_expression`): expired once the expiry date has passed
(the registration holds through its expiry date), whatever the recorded status says;
otherwise the recorded status. The recorded status stays as it was and is shown beside it.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from standards.models import (
    Establishment,
    EstablishmentActivity,
    EstablishmentStatus,
    EstablishmentStatusChange,
    KazakhRegion,
    PathwaySpecies,
    ProcessingForm,
    RenewalState,
)

REGISTRATION_YEARS = 5
MONTHS_A_YEAR = 12
RENEWAL_OPENS_MONTHS = 6  # before expiry
RENEWAL_CLOSES_MONTHS = 3  # before expiry
CLOSING_SOON = datetime.timedelta(days=30)
# Several activities or products in one field: codes separated by single spaces, in the
# order of their choices. A product is "<species>:<processing form>", or the species
# alone when the form is not stated.
MULTI_SEPARATOR = " "
PRODUCT_SEPARATOR = ":"


# --- dates ------------------------------------------------------------------------------


def add_months(day, months):
    """`day` moved by `months` calendar months (negative: back); a day the target month
    lacks becomes that month's last day."""
    index = day.year * MONTHS_A_YEAR + (day.month - 1) + months
    year, month = divmod(index, MONTHS_A_YEAR)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_of(listing_date):
    """The last day of a registration listed on `listing_date`: five years on."""
    return add_months(listing_date, REGISTRATION_YEARS * MONTHS_A_YEAR)


def renewal_window(expiry):
    """(opens, closes): the first and last days on which the renewal of a registration
    expiring on `expiry` is filed, 6 and 3 months before it."""
    return add_months(expiry, -RENEWAL_OPENS_MONTHS), add_months(expiry, -RENEWAL_CLOSES_MONTHS)


def registration_dates(listing_date):
    """(expiry, window opens, window closes) of a listing date; all None without one.
    Establishment.save() stores them, so that lists filter on them."""
    if listing_date is None:
        return None, None, None
    expiry = expiry_of(listing_date)
    return (expiry, *renewal_window(expiry))


# --- status and renewal state, as database expressions ----------------------------------


def current_status_expression(today):
    """An establishment's status on `today`, as a database expression."""
    return Case(
        When(expires_on__lt=today, then=Value(EstablishmentStatus.EXPIRED)),
        default=F("status"),
        output_field=models.CharField(),
    )


def _renewal_pending():
    not_filed = Q(renewal_filed_on__isnull=True) | Q(renewal_filed_on__lt=F("listing_date"))
    return (
        Q(listing_date__isnull=False)
        & Q(status__in=[EstablishmentStatus.LISTED, EstablishmentStatus.SUSPENDED])
        & not_filed
    )


def renewal_state_expression(today):
    """An establishment's RenewalState on `today` (None: no renewal due), as a database
    expression; the first of its cases that holds wins."""
    pending = _renewal_pending()
    return Case(
        When(pending & Q(expires_on__lt=today), then=Value(RenewalState.LAPSED)),
        When(pending & Q(renewal_closes_on__lt=today), then=Value(RenewalState.LATE)),
        When(
            pending
            & Q(renewal_opens_on__lte=today)
            & Q(renewal_closes_on__lte=today + CLOSING_SOON),
            then=Value(RenewalState.CLOSING),
        ),
        When(pending & Q(renewal_opens_on__lte=today), then=Value(RenewalState.OPEN)),
        default=None,
        output_field=models.CharField(null=True),
    )


@dataclass(frozen=True)
class RenewalDue:
    """One establishment due for renewal, as plain values; the labels are in the language
    active when renewals_due ran."""

    pk: int
    url: str
    name: str
    kz_approval_number: str
    cn_registration_number: str
    region: str
    region_label: str
    status: str  # the recorded status
    listing_date: datetime.date
    expires_on: datetime.date
    opens_on: datetime.date
    closes_on: datetime.date
    state: str  # a RenewalState value
    state_label: str
    days_to_close: int  # negative once the window has closed
    days_to_expiry: int  # negative once the registration has expired
    status_label: str = ""
    source: str = ""
    confidence_label: str = ""


def renewals_due(today=None):
    """The establishments due for renewal on `today` (see the module's docstring), the
    earliest window to close first: a list of RenewalDue, in one query."""
    today = today or timezone.localdate()
    rows = (
        Establishment.objects.with_state(today)
        .filter(renewal_state__isnull=False)
        .order_by("renewal_closes_on", "name", "pk")
    )
    return [
        RenewalDue(
            pk=row.pk,
            url=row.get_absolute_url(),
            name=row.name,
            kz_approval_number=row.kz_approval_number,
            cn_registration_number=row.cn_registration_number,
            region=row.region,
            region_label=str(KazakhRegion(row.region).label) if row.region else "",
            status=row.status,
            listing_date=row.listing_date,
            expires_on=row.expires_on,
            opens_on=row.renewal_opens_on,
            closes_on=row.renewal_closes_on,
            state=row.renewal_state,
            state_label=str(RenewalState(row.renewal_state).label),
            days_to_close=(row.renewal_closes_on - today).days,
            days_to_expiry=(row.expires_on - today).days,
            status_label=str(row.get_status_display()),
            source=row.source,
            confidence_label=str(row.get_confidence_display()),
        )
        for row in rows
    ]


# --- status changes ---------------------------------------------------------------------


def record_status_change(establishment, previous):
    """After `establishment` was saved: a status change row when it is new (its first
    status) or its status differs from `previous`. A change needs a reason, given as
    `_change_reason` (the admin form and the import ask for one); the day, evidence and
    citation are the establishment's `status_since`, `status_evidence` and
    `status_citation`, the user its `_history_user`."""
    if previous == establishment.status:
        return
    reason = (getattr(establishment, "_change_reason", "") or "").strip()
    if previous is not None and not reason:
        raise ValidationError({"status": _("Say why the status changed.")}, code="reason_required")
    user = getattr(establishment, "_history_user", None)
    EstablishmentStatusChange.objects.create(
        establishment=establishment,
        status=establishment.status,
        previous_status=previous or "",
        date=establishment.status_since,
        reason=reason,
        evidence=establishment.status_evidence,
        citation=establishment.status_citation,
        recorded_by=user if getattr(user, "pk", None) else None,
    )


# --- several codes in one field ----------------------------------------------------------


def _codes(value):
    return [part for part in str(value or "").replace("\n", " ").split() if part]


def _valid_list(values):
    return ", ".join(str(v) for v in values)


def check_activities(value):
    """The activities of `value` (codes separated by spaces or lines) as stored: each
    once, in the order of their choices. A ValidationError names an unknown code and the
    valid ones."""
    codes = _codes(value)
    unknown = [code for code in codes if code not in EstablishmentActivity.values]
    if unknown:
        raise ValidationError(
            _("“%(value)s” is not an activity; valid activities: %(valid)s.")
            % {"value": ", ".join(unknown), "valid": _valid_list(EstablishmentActivity.values)},
            code="invalid_activity",
        )
    return " ".join(code for code in EstablishmentActivity.values if code in codes)


def product_code(species, form=""):
    return f"{species}{PRODUCT_SEPARATOR}{form}" if form else species


def product_line(code):
    """A stored product as a spreadsheet writes it: "cattle frozen", or "cattle"."""
    return " ".join(part for part in _split_product(code) if part)


def _split_product(code):
    species, _sep, form = code.partition(PRODUCT_SEPARATOR)
    return species, form


def check_products(value):
    """The products of `value` as stored: "<species>:<form>" (or the species alone when
    the form is not stated), each once, in the order of the species and form choices. A
    product may be written "cattle frozen" or "cattle:frozen", one a line."""
    lines = [line.strip() for line in str(value or "").replace("\n", ",").split(",")]
    wanted = set()
    for line in lines:
        for token in _product_tokens(line):
            species, form = _split_product(token)
            if species not in PathwaySpecies.values:
                raise ValidationError(
                    _("“%(value)s”: “%(species)s” is not a species; valid species: %(valid)s.")
                    % {"value": token, "species": species,
                       "valid": _valid_list(PathwaySpecies.values)},
                    code="invalid_product",
                )  # fmt: skip
            if form not in ProcessingForm.values:
                raise ValidationError(
                    _(
                        "“%(value)s”: “%(form)s” is not a processing form; valid forms: "
                        "%(valid)s."
                    )
                    % {"value": token, "form": form,
                       "valid": _valid_list(v for v in ProcessingForm.values if v)},
                    code="invalid_product",
                )  # fmt: skip
            wanted.add((species, form))
    return " ".join(
        product_code(species, form)
        for species in PathwaySpecies.values
        for form in ProcessingForm.values
        if (species, form) in wanted
    )


def _product_tokens(line):
    """The products of one line: "cattle frozen" (a species and a form), or products
    separated by spaces, "cattle:frozen sheep horse:offal" (as they are stored)."""
    parts = line.split()
    if len(parts) == 2 and parts[1] in ProcessingForm.values:  # noqa: PLR2004 (species, form)
        return [PRODUCT_SEPARATOR.join(parts)]
    return parts


def product_choices():
    """(code, label) of every product: each species with each processing form."""
    return [
        (product_code(species, form), product_labels(product_code(species, form))[0])
        for species in PathwaySpecies.values
        for form in ProcessingForm.values
    ]


def activity_labels(value):
    return [EstablishmentActivity(code).label for code in _codes(value)]


def product_labels(value):
    """Each product in words: "Cattle, frozen"."""
    labels = []
    for code in _codes(value):
        species, form = _split_product(code)
        species_label = PathwaySpecies(species).label
        labels.append(
            f"{species_label}, {str(ProcessingForm(form).label).lower()}"
            if form
            else str(species_label)
        )
    return labels


def _padded(field):
    return Concat(Value(MULTI_SEPARATOR), F(field), Value(MULTI_SEPARATOR))


def with_activity(queryset, activity):
    """The plants of `queryset` that do `activity`."""
    return queryset.alias(_activities=_padded("activities")).filter(
        _activities__contains=f"{MULTI_SEPARATOR}{activity}{MULTI_SEPARATOR}"
    )


def with_product(queryset, species="", form=""):
    """The plants of `queryset` with a product of `species` and/or processing `form`."""
    queryset = queryset.alias(_products=_padded("products"))
    if species and form:
        return queryset.filter(_products__contains=f" {species}{PRODUCT_SEPARATOR}{form} ")
    if species:
        return queryset.filter(
            Q(_products__contains=f" {species}{PRODUCT_SEPARATOR}")
            | Q(_products__contains=f" {species} ")
        )
    if form:
        return queryset.filter(_products__contains=f"{PRODUCT_SEPARATOR}{form} ")
    return queryset


# --- what the sources say, for the register's page --------------------------------------


@dataclass(frozen=True)
class SourceNote:
    when: str
    text: str
    url: str


# Counts and names the market-access brief (§2.3, §2.1) gives, shown beside the register;
# none of them names a plant's approval or registration number or its listing date, so
# none is a record of the register.
SOURCE_NOTES = (
    SourceNote(
        "2018",
        gettext_lazy("5 mutton plants in the Chinese register."),
        "https://altyn-orda.kz/kazahstan-planiruet-postavlyat-zamorozhennuyu-govyadinu-v-kitaj",
    ),
    SourceNote(
        "Jul 2020",
        gettext_lazy("5 plants qualified for mutton, 3 for beef."),
        "http://www.jccief.org.cn/v-1-13322.aspx",
    ),
    SourceNote(
        "Jun 2024",
        gettext_lazy(
            "The first 20 t of beef after the ban was partly lifted were shipped by Meat "
            "Processing and Service LLP, Almaty region. The source gives no approval or "
            "registration number and no listing date."
        ),
        "https://el.kz/en/kazakhstan-resumes-beef-exports-to-china_122688/",
    ),
)
