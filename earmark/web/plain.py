"""User strings (file names, `meta` values, annotator names) shown as text.

Streamlit renders the body of `st.markdown`, `st.caption`, `st.error` and most
labels as Markdown: a file named `![x](http://host/x.png)` would make every
annotator's browser fetch that image, and `:red[...]`, `$...$` or `<b>` would
be drawn. `plain()` backslash-escapes every ASCII punctuation character (the
escapes CommonMark defines, which also stop Streamlit's `:directive[...]`,
emoji shortcodes and LaTeX) and folds line breaks, so the text shows as typed.
A full stop is escaped only where Markdown reads one (`1.` opening a list,
`www.` opening a link), so that `name.wav` stays searchable as written.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation.replace(".", "")) + "])")
_MARKDOWN_STOPS = re.compile(r"(?i)(^\s*\d+|\bwww)\.")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def plain(value: object) -> str:
    """`value` as Markdown that renders as exactly its text, on one line."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _MARKDOWN_STOPS.sub(r"\1\\.", text)
