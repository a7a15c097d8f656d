"""The access code and the annotator list, through the app's page script.

The app runs as the server runs it (`earmark.web.main.run`, whose navigation
chooses the page): the access code and `allowed_sessions` are checked there,
before any page.
"""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from earmark.annotations import get_task, save_annotation
from earmark.datasets import ensure_dataset
from earmark.loading.loader import load_sources
from earmark.web import access
from earmark.web.access import Grant, Throttle
from earmark.web.text import md_text

APP = "from earmark.web.main import run\nrun()\n"
CODE = "open-sesame"
PAGES = {"review": "Review", "statistics_page": "Statistics", "export": "Export", "datasets": "Datasets"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A fresh throttle on a clock the test moves (other tests' failures never count here)."""
    clock = Clock()
    monkeypatch.setattr(access, "THROTTLE", Throttle(clock=clock))
    return clock


@pytest.fixture
def app(root):
    def make(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_string(APP, default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = v
        if page:
            # a first run registers the pages (their URL names, such as "statistics"
            # for statistics_page.py), then the session goes to the page's URL
            at.run()
            at.switch_page(str(root / "pages" / f"{page}.py"))
        return at
    return make


def configure(tmp_path, **config) -> None:
    (tmp_path / "earmark.json").write_text(json.dumps(config))


def enter(at: AppTest, code: str) -> AppTest:
    return at.text_input(key="access_code_input").input(code).run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def opened(at: AppTest) -> bool:
    """Whether a page ran (every page but Annotate has its title; Annotate its dataset box)."""
    return any(t.value != "Earmark" for t in at.title) or "annotate_dataset" in at.session_state


# -- the code ------------------------------------------------------------------
def test_wrong_codes_are_slowed_down_and_a_right_one_waits_for_the_window(talks, tmp_path, app, clock):
    configure(tmp_path, access_code=CODE)
    at = app()
    at.run()
    assert [t.label for t in at.text_input] == ["Access code"] and not opened(at)
    assert errors(enter(at, "wrong-1")) == ["That access code is not right."]
    assert errors(enter(at, "wrong-2")) == ["That access code is not right."]
    assert errors(enter(at, "wrong-3")) == ["That access code is not right. Too many wrong codes; try again in 2 s."]
    # locked: the right code is refused too, and the 37 more wrong ones of a script are not even checked
    assert errors(enter(at, CODE)) == ["Too many wrong codes; try again in 2 s."]
    assert not opened(at) and "access_grant" not in at.session_state
    for i in range(37):
        enter(at, f"guess-{i}")
        assert errors(at) == ["Too many wrong codes; try again in 2 s."]
    # another browser session from the same address is locked as well
    other = app()
    other.run()
    assert errors(other) == ["Too many wrong codes; try again in 2 s."]
    assert errors(enter(other, CODE)) == ["Too many wrong codes; try again in 2 s."]
    clock.now += 2
    enter(at, CODE)
    assert not errors(at) and opened(at)
    assert isinstance(at.session_state["access_grant"], Grant)
    assert CODE not in map(str, at.session_state.values())   # the code is not kept in the session


def test_the_lockout_grows_with_each_failure_after_it(talks, tmp_path, app, clock):
    configure(tmp_path, access_code=CODE)
    at = app()
    at.run()
    for i in range(3):
        enter(at, f"wrong-{i}")
    clock.now += 2
    assert errors(enter(at, "wrong-4")) == ["That access code is not right. Too many wrong codes; try again in 4 s."]
    clock.now += 3
    assert errors(enter(at, CODE)) == ["Too many wrong codes; try again in 1 s."]
    clock.now += 1
    assert not errors(enter(at, CODE)) and opened(at)


@pytest.mark.parametrize("page, query, check", [
    ("review", {"dataset": "talks"}, lambda at: at.selectbox(key="review_dataset").value == "talks"),
    ("statistics_page", {"dataset": "talks"}, lambda at: at.selectbox(key="stats_dataset").value == "talks"),
    ("annotate", {"dataset": "talks", "session": "ann"},
     lambda at: at.selectbox(key="annotate_dataset").value == "talks" and "ann_queue" in at.session_state),
])
def test_after_the_code_the_page_the_link_named_opens_with_its_query(talks, tmp_path, app, clock, page, query,
                                                                      check):
    store, _ = talks
    ensure_dataset(store, "another", view="audio_manual")   # "talks" is not the only one
    configure(tmp_path, access_code=CODE)
    at = app(page, **query)
    at.run()
    assert not opened(at)
    enter(at, CODE)
    assert not at.exception, at.exception
    assert check(at), (at.title, at.selectbox, at.error, at.info)
    assert {k: at.query_params[k] for k in query} in (query, {k: [v] for k, v in query.items()})


# -- allowed_sessions ------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_an_unlisted_name_opens_no_page(talks, tmp_path, app, page):
    configure(tmp_path, allowed_sessions=["ann", "bob"])
    at = app(page, session="mallory")
    at.run()
    assert not at.exception, at.exception
    assert errors(at) == ["mallory is not on the list of annotators of this server."]
    assert not opened(at) and not at.dataframe and not at.button
    assert at.selectbox(key="session_pick").options == ["ann", "bob"]
    nameless = app(page)
    nameless.run()
    assert not opened(nameless) and not errors(nameless)
    nameless.selectbox(key="session_pick").select("bob").run()
    assert not nameless.exception, nameless.exception
    assert [t.value for t in nameless.title] == [PAGES[page]]
    assert nameless.query_params["session"] in ("bob", ["bob"])


def test_an_unlisted_name_cannot_correct_another_annotators_answer(talks, tmp_path, app):
    store, ids = talks
    first = save_annotation(store, get_task(store, ids[0]), "accept", "bob",
                            edits={"audio_spans": [{"id": "a", "start": 0.5, "end": 2.0, "label": "SPK1"}]})
    configure(tmp_path, allowed_sessions=["ann", "bob"])
    at = app("review", session="mallory")
    at.session_state["review_selected"] = first
    at.run()
    assert not at.button and f"review-save-{first}" not in at.session_state
    at = app("review", session="ann")
    at.session_state["review_selected"] = first
    at.run()
    at.selectbox(key=f"review-answer-{first}").set_value("reject")
    at.button(key=f"review-save-{first}").click().run()
    doc, session = store.query_one("SELECT annotation, session FROM annotations ORDER BY id DESC LIMIT 1")
    assert session == "bob" and json.loads(doc)["_reviewed_by"] == "ann"


def test_the_code_then_the_name(talks, tmp_path, app, clock):
    configure(tmp_path, access_code=CODE, allowed_sessions=["ann"])
    at = app("review", session="mallory")
    at.run()
    assert [t.label for t in at.text_input] == ["Access code"] and not at.selectbox
    enter(at, CODE)
    assert errors(at) == ["mallory is not on the list of annotators of this server."] and not opened(at)
    at.selectbox(key="session_pick").select("ann").run()
    assert [t.value for t in at.title] == ["Review"]


# -- tokens on the pages' URLs ---------------------------------------------------
def test_a_granted_session_gets_signed_urls_others_plain_ones(talks, monkeypatch):
    from earmark.web.task_audio import task_audio
    store, ids = talks
    task = get_task(store, ids[0])
    plain = task_audio(store, task)
    assert "token=" not in plain.url and "token=" not in plain.spectrogram_url
    grant = Grant.new()
    signed = task_audio(store, task, grant=grant)
    secret = access.server_secret(store.path)
    assert signed.url == grant.sign(plain.url, task.media_id, secret)
    assert signed.spectrogram_url == grant.sign(plain.spectrogram_url, task.media_id, secret)
    token = signed.url.split("token=")[1]
    assert access.token_problem(secret, token, task.media_id) is None


# -- user strings as text --------------------------------------------------------
def test_md_text_leaves_no_markdown_html_or_link():
    hostile = "![x](http://evil.example/x.png) <img src=x> :red[r] :material/home: $x$ **b** www.e.com a@b.c\n# h"
    shown = md_text(hostile)
    import re
    for syntax in ("![", "](", ":red[", ":material/", "$x$", "**", "://", "www.", "\n"):
        assert syntax not in shown, syntax
    assert re.search(r"(?<!\\)[<>]", shown) is None     # no HTML: every angle bracket escaped
    # unescaped, it reads as the original (the word joiners aside; line breaks become spaces)
    assert re.sub(r"\\(.)", r"\1", shown).replace("\u2060", "") == hostile.replace("\n", " ")


def test_file_names_and_labels_show_as_text_on_review_and_statistics(talks, tmp_path, app, corpus):
    store, _ = talks
    folder = tmp_path / "hostile"
    folder.mkdir()
    name = "![x](http:evil.example x.png) :red[r] **b**.wav"
    shutil.copy(corpus / "praat" / "bobby.wav", folder / name)
    label = "![l](http://evil.example/l.png)"
    report = load_sources(store, "hostile", [folder], view="audio_manual", labels=[label])
    task = get_task(store, report.task_ids[0])
    first = save_annotation(store, task, "accept", "ann",
                            edits={"audio_spans": [{"id": "a", "start": 0.1, "end": 0.5, "label": label}]})
    at = app("review", dataset="hostile")
    at.session_state["review_selected"] = first
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith(md_text(name))
    at = app("statistics_page", dataset="hostile")
    at.run()
    assert not at.exception, at.exception
    assert list(at.table[0].value.index) == [md_text(label)]
