"""A word-level redline of two texts: what was taken out and what was put in.

Public API (kept stable: the review flags and the "what changed since round N" report
both use it; no Django models needed):

- `redline(old, new)` -> safe HTML. The text of both sides is escaped; taken-out parts
  are in `<del>`, put-in parts in `<ins>`, the rest is the text as it was. Whitespace and
  line breaks are kept, so the result belongs in an element that preserves line breaks
  (the portal's `.clause-text`).
- `redline_plain(old, new)` -> text for CSV and XLSX cells, in the wdiff notation:
  "[-taken out-]{+put in+}".
- `tokens(text)` -> the units the texts are compared in.
- `changed(old, new)` -> whether the two differ at all (after the same tokenisation).

Latin, Cyrillic and Kazakh text is compared word by word (a number such as "0,5" or
"1.5" is one word); whitespace runs and punctuation are tokens of their own, so they are
kept exactly. Chinese and Japanese text, written without spaces, is compared character by
character, which keeps a changed figure or word readable instead of marking the whole
sentence. `None` reads as an empty text.
"""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

# CJK ideographs (with extensions A and the compatibility block), kana, CJK punctuation
# and full-width forms: one token per character.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
_TOKEN = re.compile(
    rf"[{_CJK}]"  # one CJK character
    rf"|(?:(?![{_CJK}])\w)+(?:[.,](?:(?![{_CJK}])\w)+)*"  # a word or a number like 0,5
    r"|\s+"  # a run of whitespace
    r"|.",  # any other character (punctuation, symbols)
    re.DOTALL,
)


def tokens(text):
    """The tokens of `text` in order; joined they give `text` back exactly."""
    return _TOKEN.findall(text or "")


def _chunks(old, new):
    """[(tag, old tokens, new tokens)]: "equal" or "change". An unchanged run of
    whitespace between two changes joins them into one, so that a rewritten phrase reads
    as one change rather than word, space, word."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    opcodes = matcher.get_opcodes()
    chunks, pending = [], None
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        olds, news = a[i1:i2], b[j1:j2]
        joins = (
            tag == "equal"
            and pending is not None
            and index < len(opcodes) - 1  # opcodes alternate: a change follows
            and all(token.isspace() for token in olds)
        )
        if tag != "equal" or joins:
            pending = pending or ([], [])
            pending[0].extend(olds)
            pending[1].extend(news)
            continue
        if pending is not None:
            chunks.append(("change", *pending))
            pending = None
        chunks.append(("equal", olds, news))
    if pending is not None:
        chunks.append(("change", *pending))
    return chunks


def changed(old, new):
    """Whether `old` and `new` differ."""
    return tokens(old) != tokens(new)


def _parts(old, new):
    """(kind, text) in order: "same", "del" or "ins"."""
    for tag, olds, news in _chunks(old, new):
        if tag == "equal":
            yield "same", "".join(olds)
            continue
        if olds:
            yield "del", "".join(olds)
        if news:
            yield "ins", "".join(news)


def redline(old, new):
    """Safe HTML of `new` against `old`: taken-out text in <del>, put-in text in <ins>,
    every piece of either text escaped."""
    out = []
    for kind, text in _parts(old, new):
        if kind == "same":
            out.append(escape(text))
        else:
            out.append(f"<{kind}>{escape(text)}</{kind}>")
    return mark_safe("".join(out))


def redline_plain(old, new):
    """The redline as text: "[-taken out-]{+put in+}" around the changes."""
    marks = {"del": ("[-", "-]"), "ins": ("{+", "+}")}
    out = []
    for kind, text in _parts(old, new):
        if kind == "same":
            out.append(text)
        else:
            start, end = marks[kind]
            out.append(f"{start}{text}{end}")
    return "".join(out)
