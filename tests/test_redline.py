"""The word-level redline of clause texts (standards/redline.py)."""

from standards.redline import redline, redline_plain


def test_words_and_numbers_change_as_whole_words():
    assert str(redline("Lead at most 0.5 mg/kg", "Lead at most 0.2 mg/kg")) == (
        "Lead at most <del>0.5</del><ins>0.2</ins> mg/kg"
    )


def test_russian_is_compared_by_words():
    marked = str(redline("не более 0,5 мг/кг", "не более 0,3 мг/кг"))
    assert "<del>0,5</del>" in marked and "<ins>0,3</ins>" in marked
    assert marked.startswith("не более ")


def test_chinese_is_compared_by_characters():
    marked = str(redline("铅不得超过0.5", "铅不应超过0.5"))
    assert "<del>得</del>" in marked and "<ins>应</ins>" in marked


def test_user_text_is_escaped():
    marked = str(redline("<b>x</b>", "<script>alert(1)</script>"))
    assert "<script" not in marked and "<b>" not in marked
    assert (
        marked.replace("<del>", "").replace("</del>", "").replace("<ins>", "").replace("</ins>", "")
        == "&lt;bscript&gt;xalert(1)&lt;/bscript&gt;"
    )


def test_identical_and_empty_texts():
    assert str(redline("same text", "same text")) == "same text"
    assert str(redline("", "new")) == "<ins>new</ins>"
    assert str(redline("old", None)) == "<del>old</del>"


def test_the_plain_form_for_spreadsheets():
    assert redline_plain("a 0.5 b", "a 0.2 b") == "a [-0.5-]{+0.2+} b"
