"""The import preview in a real browser: at 1366 px it is no wider than the window and
the changed cell is in view; axe finds nothing on the import and preview pages. The
comparison's filter selects show their options in full at 1366 and 390 px."""

import csv
import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from standards.exchange import CSVFormat, MappingResource
from standards.roles import EDITOR, sync_roles
from standards.services import assign_role
from tests.factories import make_mapping

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor_page(browser, live_server, django_user_model):
    sync_roles()
    editor = django_user_model.objects.create_user(username="editor", password="S3cure-pass!")
    assign_role(editor, EDITOR)
    for number in range(1, 66):
        make_mapping(
            key=f"KZCN-{number:03d}",
            title=f"Requirement pair {number} with a fairly long English working title",
            rationale="A rationale long enough to need several lines in a narrow column. " * 3,
        )
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("S3cure-pass!")
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Harmonization dashboard")).to_be_visible()
    yield page
    context.close()


def test_the_preview_of_a_65_row_file_fits_the_window_with_the_change_in_view(
    editor_page, live_server, assert_accessible, tmp_path
):
    page = editor_page
    exported = CSVFormat().export_data(MappingResource().export()).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(exported)))
    rows[40][rows[0].index("status")] = "negotiation"
    path = tmp_path / "mappings.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)

    page.goto(f"{live_server.url}{reverse('admin:standards_clausemapping_import')}")
    assert_accessible(page)
    page.locator("#id_format").select_option(value="0")
    page.locator("#id_import_file").set_input_files(str(path))
    page.get_by_label("Reason for this import").fill("Round 4 outcome")
    page.locator("input[type=submit]").click()
    expect(page.locator(".import-totals")).to_contain_text(
        "0 new, 1 changed, 64 unchanged, 0 deleted, 0 errors."
    )
    assert_accessible(page)

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, width
    cell = page.locator(".import-changed-cell")
    expect(cell).to_have_count(1)
    cell.scroll_into_view_if_needed()
    expect(cell.locator(".import-new")).to_contain_text("negotiation (Under negotiation)")
    expect(cell.locator(".import-old")).to_contain_text("not_started (Not started)")
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, box
    # The unchanged rows are folded away until asked for.
    unchanged = page.locator("details.import-unchanged")
    expect(unchanged.locator("summary")).to_have_text(re.compile(r"64 unchanged rows"))
    expect(unchanged.locator("li").first).to_be_hidden()


# The room a select's longest option needs against the room the select gives it.
OPTION_FITS = """
select => {
  const style = getComputedStyle(select);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const widest = Math.max(...[...select.options].map(o => canvas.measureText(o.text).width));
  return {room, widest, id: select.id};
}
"""


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("url", ["standards:compare"])
def test_the_filter_selects_show_their_options_in_full(editor_page, live_server, width, url):
    page = editor_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{reverse(url)}")
    selects = page.locator("main select").all()
    assert selects
    for select in selects:
        fit = select.evaluate(OPTION_FITS)
        assert fit["widest"] <= fit["room"] + 1, fit
