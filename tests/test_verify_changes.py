"""/reports/verify/: the fingerprints of issued reports are kept (IssuedReport), a short
fingerprint (the 12 characters of the file name and the footer) finds its report, and a
fingerprint that no longer matches says what changed since, by mapping."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from standards.models import IssuedReport
from tests import test_reports

pytestmark = pytest.mark.django_db
data = pytest.fixture(test_reports.data.__wrapped__, name="data")
VERIFY = reverse("standards:report-verify")


def issued_pdf(client):
    response = client.get(reverse("standards:report-pdf") + "?gaps=0&lang=en")
    assert response.status_code == 200
    return response["X-Report-Fingerprint"]


def test_every_issued_report_keeps_its_fingerprint_and_data_version(client_for, negotiator, data):
    client = client_for(negotiator)
    fingerprint = issued_pdf(client)
    issued = IssuedReport.objects.get(fingerprint=fingerprint)
    assert "gaps=0" in issued.selection and issued.as_of <= timezone.now()
    page = client.get(reverse("standards:report-html") + "?gaps=1&lang=en")
    html_fingerprint = page.context["report"]["fingerprint"]
    assert IssuedReport.objects.filter(fingerprint=html_fingerprint).exists()
    issued_pdf(client)  # served from the cache: still one record
    assert IssuedReport.objects.filter(fingerprint=fingerprint).count() == 1


def test_the_short_fingerprint_of_the_file_name_is_enough(client_for, negotiator, data):
    client = client_for(negotiator)
    fingerprint = issued_pdf(client)
    response = client.post(VERIFY, {"fingerprint": fingerprint[:12].upper()})
    assert response.status_code == 200 and "It matches" in response.text
    assert "was not issued" in client.post(VERIFY, {"fingerprint": "0" * 12}).text
    refused = client.post(VERIFY, {"fingerprint": "0" * 20})
    assert refused.status_code == 400 and "first 12" in refused.text


def test_an_ambiguous_short_fingerprint_asks_for_the_whole_one(client_for, negotiator, db):
    for tail in ("a" * 52, "b" * 52):
        IssuedReport.objects.create(
            fingerprint="abcdef012345" + tail, selection="gaps=1&lang=en", as_of=timezone.now()
        )
    response = client_for(negotiator).post(VERIFY, {"fingerprint": "abcdef012345"})
    assert response.status_code == 400 and "give all 64 characters" in response.text


def test_a_stale_fingerprint_says_what_changed_since_by_mapping(client_for, negotiator, data):
    from tests.factories import make_mapping

    for _ in range(3):  # history ids no longer equal the mappings' ids
        data["settled"].save()
    later = make_mapping(key="KZCN-047", title="Later", topic="microbiology")
    client = client_for(negotiator)
    fingerprint = issued_pdf(client)
    time.sleep(0.01)  # the edits come after the report's data version
    gap = data["gap"]
    gap.status, gap.alignment = "agreed", "kz_stricter"
    gap.save()
    limit = gap.kz_clauses.get().limits.first()
    limit.value = "10"
    limit.save()
    response = client.post(VERIFY, {"fingerprint": fingerprint[:12]})
    assert "It does not match" in response.text
    row = response.text.split('href="/pairs/KZCN-045/"')[1].split("</tr>")[0]
    assert "alignment" in row and "status" in row and "limits" in row
    assert "KZCN-046</a>" in response.text  # shares the edited clause's limits
    assert "rationale" not in row  # what did not change is not listed
    later.status = "agreed"
    later.save()
    response = client.post(VERIFY, {"fingerprint": fingerprint[:12]})
    row = response.text.split('href="/pairs/KZCN-047/"')[1].split("</tr>")[0]
    assert "status" in row and "added since" not in row
