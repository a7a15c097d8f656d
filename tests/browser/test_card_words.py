"""Recognised words and voice profiles on the annotation card, in headless Chromium.

A transcript task with words shows them under the waveform, highlights the
word being spoken and seeks to a clicked word; an alignment task with words
makes the region of a text span from its words' times and links the span to
it; a region whose label came from a voice profile is marked until the
annotator relabels it. Segment tasks throughout: the card works in the clip's
time (the clip starts 1 s before the segment) and stores file time.
"""

from __future__ import annotations

import json
import time

import pytest

from test_card_answers import CardPage, make_db, rows

SEGMENT = {"start": 2.0, "end": 8.0}
OFFSET = 1.0        # file time of the card's 0: the segment's start less 1 s of context
WORDS = [{"start": 2.5, "end": 3.0, "text": " Okay,", "score": 0.92},
         {"start": 3.2, "end": 3.6, "text": " does", "score": 0.88},
         {"start": 4.0, "end": 4.5, "text": " anyone", "score": 0.31},
         {"start": 5.0, "end": 5.6, "text": " want", "score": 0.95},
         {"start": 5.6, "end": 6.2, "text": " feedback?", "score": 0.9}]


@pytest.fixture
def page_1280x800(wf_browser):
    context = wf_browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def now_playing(card: CardPage) -> tuple[float, int]:
    """The playhead (the card's time) and the index of the word highlighted (-1: none)."""
    return card.frame.locator("body").evaluate(
        """() => { const now = document.querySelectorAll('.cw-word.cw-now');
                   return [window.__wfCurrentTime(), now.length === 1 ? Number(now[0].dataset.i)
                                                                      : (now.length ? -2 : -1)]; }""")


def wait_for(pred, timeout: float = 5.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_transcript_view_shows_the_words_highlights_the_spoken_one_and_seeks_to_a_clicked_one(
        tmp_path, corpus, run_app, page_1280x800):
    line = json.dumps({"path": str(corpus / "diarization" / "trñ00.wav"), "segment": SEGMENT,
                       "transcript": "Okay, does anyone want feedback?", "words": WORDS})
    db, ids = make_db(tmp_path, "heard", [line], "transcript")
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("heard")
    frame, page = card.frame, card.page
    strip = frame.locator(".card-words")
    assert strip.is_visible()
    assert strip.locator(".card-words-title").inner_text().strip().lower() == "recognised words"
    words = frame.locator(".cw-word")
    assert words.all_inner_texts() == ["Okay,", "does", "anyone", "want", "feedback?"]
    # times in file time (the timeline's), the unsure word marked
    assert words.nth(0).get_attribute("title") == "0:02.5–0:03.0 · probability 0.92"
    assert [w.evaluate("e => e.classList.contains('cw-unsure')") for w in words.all()] == [
        False, False, True, False, False]
    assert now_playing(card)[1] == -1     # at 0: no word is spoken yet

    # a click on a word seeks to its start (card time = file time - 1 s); the word is highlighted
    words.nth(2).click()
    t, shown = wait_for(lambda: (lambda p: p if abs(p[0] - 3.0) < 0.02 and p[1] == 2 else None)(now_playing(card)),
                        what="the playhead at 'anyone' and it highlighted")
    assert abs(t - (4.0 - OFFSET)) < 0.02 and shown == 2
    # the keyboard's seek moves the highlight too: right is 1 s, from 'anyone' to the start of 'want'
    card.page.keyboard.press("ArrowRight")
    wait_for(lambda: now_playing(card)[1] == 3, what="'want' highlighted after a 1 s seek")  # 4.0 s = file 5.0

    # playing: the highlight follows the word spoken; every change is recorded in the page
    # with the playhead at that moment (polling from here could miss a short word)
    words.nth(0).click()
    wait_for(lambda: now_playing(card)[1] == 0, what="'Okay,' highlighted")
    frame.locator("body").evaluate(
        """() => { window.__seen = [];
                   new MutationObserver(() => {
                       const now = document.querySelector('.cw-word.cw-now');
                       window.__seen.push([window.__wfCurrentTime(), now ? Number(now.dataset.i) : -1]);
                   }).observe(document.querySelector('.card-words-list'), {subtree: true, attributes: true,
                                                                            attributeFilter: ['class']}); }""")
    page.keyboard.press("Space")
    wait_for(lambda: card.body("playing") == "1", what="playing")
    wait_for(lambda: now_playing(card)[0] > 3.6, timeout=10.0, what="playing past 'anyone'")
    seen = frame.locator("body").evaluate("() => window.__seen")
    shown = [i for _, i in seen]
    assert [i for i in shown if i >= 0][:2] == [1, 2], seen      # 'does', then 'anyone', each in turn
    assert -1 in shown                                             # nothing in the pauses between them
    for t, i in seen:   # what is highlighted is the word under the playhead (a time update late at most)
        if i >= 0:
            w = WORDS[i]
            assert w["start"] - OFFSET - 0.3 <= t < w["end"] - OFFSET + 0.3, (t, i, seen)
    # a click while playing seeks and plays on
    words.nth(3).click()
    t, _ = wait_for(lambda: (lambda p: p if 4.0 <= p[0] < 4.9 else None)(now_playing(card)), what="seek to 'want'")
    assert card.body("playing") == "1"
    page.keyboard.press("Space")

    # the transcript stays editable; editing it leaves the recognised words as they were
    text = frame.locator(".card-transcript-text")
    assert text.input_value() == "Okay, does anyone want feedback?"
    text.fill("Okay, does anybody want feedback?")
    assert words.all_inner_texts() == ["Okay,", "does", "anyone", "want", "feedback?"]
    text.press("Control+Enter")
    card.wait_saved()
    app.stop()
    (saved,) = rows(db, "SELECT json_extract_string(annotation, '$.transcript') FROM annotations")
    assert saved == ("Okay, does anybody want feedback?",)


def drag_tokens(card: CardPage, first: int, last: int) -> None:
    frame, page = card.frame, card.page
    a = frame.locator(f".tp-tok[data-i='{first}']").bounding_box()
    b = frame.locator(f".tp-tok[data-i='{last}']").bounding_box()
    page.mouse.move(a["x"] + 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] - 2, b["y"] + b["height"] / 2, steps=6)
    page.mouse.up()


def test_alignment_words_make_the_region_of_a_text_span_linked_to_it(tmp_path, corpus, run_app, page_1280x800,
                                                                     wf_driver):
    # no transcript: the text is the words' ("Okay, does anyone want feedback?": tokens
    # 0 Okay 1 , 2 does 3 anyone 4 want 5 feedback 6 ?)
    line = json.dumps({"path": str(corpus / "diarization" / "trñ00.wav"), "segment": SEGMENT, "words": WORDS})
    db, _ = make_db(tmp_path, "aligned", [line], "alignment", labels=["QUESTION", "NAME"])
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("aligned")
    frame, page = card.frame, card.page
    wf = wf_driver(page, app.url)
    assert frame.locator(".card-transcript-text").input_value() == "Okay, does anyone want feedback?"
    assert frame.locator(".card-words").is_hidden()    # the words are the panel's tokens here
    # the word spoken is lit among the tokens too: 3 s of card time is 'anyone' (file 4.0 s)
    frame.locator(".wf-time").click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    lit = frame.locator(".tp-tok.tp-now")
    wait_for(lambda: lit.count() == 1 and lit.get_attribute("data-i") == "3", what="'anyone' lit")
    page.keyboard.press("ArrowLeft")                   # 2 s: between 'Okay,' and 'does', nothing
    wait_for(lambda: lit.count() == 0, what="nothing lit in a pause")
    page.keyboard.press("ArrowRight")
    # select "does anyone" (a span of the active label), then r: its region, linked
    drag_tokens(card, 2, 3)
    span = frame.locator("mark.tp-span").first
    assert span.get_attribute("data-time") == "0:03.2–0:04.5"   # file time
    assert span.locator(".tp-make-region").count() == 1
    page.keyboard.press("r")
    frame.locator("mark.tp-span[data-region]").wait_for(timeout=5000)
    (region,) = wf.regions_shown()
    assert region["label"] == "QUESTION" and region["text"].startswith("↔ ")
    assert span.get_attribute("data-region") == region["id"]
    assert span.locator(".tp-make-region").count() == 0        # linked: no button any more
    store = frame.locator("body").evaluate("() => window.__wfDebug().store")
    assert abs(store[0]["start"] - (3.2 - OFFSET)) < 0.01 and abs(store[0]["end"] - (4.5 - OFFSET)) < 0.01
    # a second span, label 2, by its button; undo of the region made drops that link, redo is for the regions
    page.keyboard.press("2")
    drag_tokens(card, 4, 6)
    frame.locator("mark.tp-span[data-label='NAME'] .tp-make-region").click()
    wait_for(lambda: len(wf.regions_shown()) == 2, what="the second region")
    assert frame.locator("mark.tp-span[data-region]").count() == 2
    page.keyboard.press("Control+z")
    wait_for(lambda: len(wf.regions_shown()) == 1, what="the second region undone")
    assert frame.locator("mark.tp-span[data-region]").count() == 1
    assert frame.locator("mark.tp-span[data-label='NAME']").get_attribute("data-region") is None
    page.keyboard.press("a")
    card.wait_saved()
    app.stop()
    (doc,) = rows(db, "SELECT annotation FROM annotations")
    annotation = json.loads(doc[0])
    (stored,) = annotation["audio_spans"]
    assert stored["id"] == region["id"] and stored["label"] == "QUESTION"
    assert abs(stored["start"] - 3.2) <= 0.01 and abs(stored["end"] - 4.5) <= 0.01     # the words' file times
    assert annotation["text"] == "Okay, does anyone want feedback?"
    assert annotation["spans"] == [
        {"start": 6, "end": 17, "label": "QUESTION", "token_start": 2, "token_end": 3, "audio_span_id": region["id"]},
        {"start": 18, "end": 32, "label": "NAME", "token_start": 4, "token_end": 6}]
    assert [(t["text"], t.get("audio_start")) for t in annotation["tokens"]][2:5] == [
        ("does", 3.2), ("anyone", 4.0), ("want", 5.0)]


def test_a_region_labelled_from_a_voice_profile_is_marked_until_relabelled(tmp_path, corpus, run_app,
                                                                         page_1280x800, wf_driver):
    spans = [{"id": "p1", "start": 3.0, "end": 5.0, "label": "Diane", "score": 0.91, "profile": 0.834},
             {"id": "p2", "start": 6.0, "end": 7.5, "label": "SPEAKER_01", "score": 0.4}]
    line = json.dumps({"path": str(corpus / "diarization" / "trñ00.wav"), "audio_spans": spans})
    db, _ = make_db(tmp_path, "voices", [line], "audio_manual", labels=["Diane", "Bob", "SPEAKER_01"])
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("voices")
    frame, page = card.frame, card.page
    wf = wf_driver(page, app.url)
    shown = {r["id"]: r["text"] for r in wf.regions_shown()}
    assert shown == {"p1": "≈ Diane", "p2": "SPEAKER_01"}

    def title(region_id: str) -> str:
        return frame.locator("body").evaluate(
            """(_, id) => document.querySelector('.wf-wave > div').shadowRoot
                        .querySelector(`[part~="region"][data-id="${id}"] > .wf-region-label`).title""", region_id)
    assert title("p1") == ("≈ Diane\nlabel proposed from the voice profile (similarity 0.83)\n"
                           "model confidence 0.91")
    assert title("p2") == "SPEAKER_01\nmodel confidence 0.40"
    line_el = frame.locator(".card-profiles")
    assert line_el.inner_text() == "≈ Labels proposed from the dataset's voice profiles: Diane (1 region)"
    # moving it keeps the mark (the label is still the profile's); relabelling removes it
    wf.click_at(4.0)
    wait_for(lambda: frame.locator("body").evaluate("() => window.__wfDebug().selected") == "p1", what="p1 selected")
    page.keyboard.press("Alt+ArrowRight")
    wait_for(lambda: abs(frame.locator("body").evaluate("() => window.__wfDebug().store")[0]["start"] - 3.01) < 1e-6,
             what="the start nudged")
    assert {r["id"]: r["text"] for r in wf.regions_shown()}["p1"] == "≈ Diane"
    page.keyboard.press("2")
    wait_for(lambda: {r["id"]: r["text"] for r in wf.regions_shown()}["p1"] == "Bob", what="relabelled without mark")
    assert title("p1") == "Bob\nmodel confidence 0.91"
    assert line_el.is_hidden()
    page.keyboard.press("a")
    card.wait_saved()
    app.stop()
    (doc,) = rows(db, "SELECT annotation FROM annotations")
    stored = {r["id"]: r for r in json.loads(doc[0])["audio_spans"]}
    assert stored["p1"] == {"id": "p1", "start": 3.01, "end": 5.0, "label": "Bob", "score": 0.91}
    assert stored["p2"] == {"id": "p2", "start": 6.0, "end": 7.5, "label": "SPEAKER_01", "score": 0.4}


def test_a_long_transcript_s_word_strip_keeps_the_word_spoken_in_view(tmp_path, corpus, run_app, page_1280x800):
    many = [{"start": round(i * 0.14, 3), "end": round(i * 0.14 + 0.12, 3), "text": f"word{i}"} for i in range(210)]
    line = json.dumps({"path": str(corpus / "diarization" / "trn01.wav"), "words": many})
    db, _ = make_db(tmp_path, "long", [line], "transcript")
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("long")
    frame, page = card.frame, card.page
    box = frame.locator(".card-words-list")
    assert box.evaluate("e => e.scrollHeight > e.clientHeight")     # the strip scrolls in its own box
    frame.locator(".wf-time").click()
    for _ in range(5):
        page.keyboard.press("Shift+ArrowRight")                     # 25 s: word 178
    wait_for(lambda: now_playing(card)[1] == 178, what="word 178 highlighted")
    seen = box.evaluate("""e => { const w = e.querySelector('.cw-now');
                                  return [e.scrollTop, w.offsetTop >= e.scrollTop,
                                          w.offsetTop + w.offsetHeight <= e.scrollTop + e.clientHeight]; }""")
    assert seen[0] > 0 and seen[1] and seen[2], seen
    assert page.evaluate("() => window.scrollY") == 0                 # the list scrolled, not the page
