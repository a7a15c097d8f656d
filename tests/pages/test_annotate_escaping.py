"""File names, `meta` values and names on the Annotate page show as text, not Markdown or HTML."""

from __future__ import annotations

import json
import re

from earmark.web.text import md_text
from shown import shown

IMAGE = "![img](http://attacker/x.png)"
TAG = "<img src=http://attacker/y.png>"
STREAMLIT = ":red[boss] $x^2$ :material/home: **bold** `code` www.attacker.example"

# Markdown that would draw something: an image or link, an HTML tag, emphasis,
# code, Streamlit's colour and icon directives, LaTeX, a www autolink.
ACTIVE = [r"(?<!\\)!\[", r"(?<!\\)<img", r"(?<!\\)\*\*bold", r"(?<!\\)`", r"(?<!\\):red\[", r"(?<!\\)\$",
          r"(?<!\\):material", r"www\.attacker"]


unescape = shown


def assert_inert(markdown: str) -> None:
    for pattern in ACTIVE:
        assert not re.search(pattern, markdown), (pattern, markdown)


def test_md_text_escapes_every_markdown_construct_and_keeps_the_text():
    for text in (IMAGE, TAG, STREAMLIT, "1. first\n# heading\n| a | b |", "a_b_c.wav", "x &amp; y"):
        escaped = md_text(text)
        assert_inert(escaped)
        assert "\n" not in escaped
        assert unescape(escaped) == text.replace("\n", " ")


def test_file_name_and_meta_show_as_text(talks, page, card):
    """The card sets the title, caption and notices with `textContent` (src/card.ts): the page
    passes the strings unchanged, and draws none of them itself as Markdown."""
    store, ids = talks
    task = json.loads(store.query_one("SELECT task FROM tasks WHERE id = ?", [ids[0]])[0])
    task["file"] = IMAGE
    task["meta"] = {**task["meta"], "file": IMAGE, "note": TAG, "speaker": STREAMLIT}
    store.write(lambda cur: cur.execute("UPDATE tasks SET task = ? WHERE id = ?", [json.dumps(task), ids[0]]))
    at = page("annotate", dataset="talks", session="ann")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["ann_queue"][0] == ids[0]
    item = at.session_state["ann_queue_items"][0]
    assert item["title"] == IMAGE
    assert f"note: {TAG}" in item["caption"] and f"speaker: {STREAMLIT}" in item["caption"]
    assert card.args(at)["queue"][0]["title"] == IMAGE
    for element in (*at.markdown, *at.caption, *at.error, *at.warning, *at.info):
        assert_inert(element.value)
    c = card()
    c.send(at, c.answer(ids[0], "accept"))
    # what undo reopens carries the same plain strings
    assert at.session_state["ann_previous"]["title"] == IMAGE
    for element in (*at.markdown, *at.caption, *at.error, *at.warning, *at.info):
        assert_inert(element.value)


def test_a_session_name_from_the_url_shows_as_text(talks, page, tmp_path):
    (tmp_path / "earmark.json").write_text(json.dumps({"allowed_sessions": ["ann"]}))
    at = page("annotate", dataset="talks", session=IMAGE)
    at.run()
    assert not at.exception
    error = at.error[0].value
    assert IMAGE in unescape(error) and "is not on the list" in error
    assert_inert(error)
