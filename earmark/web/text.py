"""User strings (file names, `meta` values, dataset and annotator names) shown as text.

Streamlit renders the strings given to st.markdown, st.caption, st.subheader,
st.error, widget labels and button labels as Markdown: a file name such as
`![x](http://host/p.png)` would make the browser fetch a remote image, and
`:red[...]`, `$...$` or `**` would restyle the page. `md_text` makes a string
show as exactly its characters in any of those.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these
# are the ones Markdown, GitHub's extensions or Streamlit's own syntax (`:emoji:`,
# `:material/icon:`, `:red[text]`, `$math$`) give a meaning to; `/`, `@` and
# `%` too, so that no URL, e-mail address or `:material/` survives to be linked.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-!|~$:=^&/@%])")
# A full stop means something only after a number opening a list (`1.`) or in
# `www.`; elsewhere it stays as typed, so that `name.wav` reads (and greps) as is.
_MARKDOWN_STOPS = re.compile(r"(?i)(^\s*\d+|\bwww\u2060?)\.")
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# GFM links bare URLs, `www.` names and e-mail addresses after the escapes are
# read (on the parsed text), so these get an invisible word joiner instead.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(?=://)|(?<=www)(?=\.)|(?=@)")
_JOINER = "\u2060"


def md_text(value: object) -> str:
    """`value` as Markdown that shows its characters as they are, on one line
    (line breaks become spaces; a URL shows as text, not as a link)."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value)))
    text = _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(_JOINER, text))
    return _MARKDOWN_STOPS.sub(r"\1\\.", text)
