"""The annotation card as a newcomer meets it (Earmark's own app): the
waveform's toolbar on one line on a stereo file at 1280 x 800, and the
`audio` view's label shown as the question it asks."""

from __future__ import annotations

import json

import pytest

from test_card_answers import CardPage, make_db


@pytest.fixture
def page_1280x800(wf_browser):
    context = wf_browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def test_the_toolbar_fits_one_line_on_a_stereo_file_at_1280x800(tmp_path, corpus, run_app, page_1280x800):
    stereo = corpus / "formats" / "bobby_16bit_16khz_2ch.wav"
    db, _ = make_db(tmp_path, "stereo", [json.dumps({"path": str(stereo)})], "audio_manual", labels=["SPEECH", "NOISE"])
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("stereo")
    assert card.body("channels") == "2"
    controls = card.frame.locator(".wf-toolbar").evaluate(
        """(bar) => [...bar.querySelectorAll('button, select, input')].filter(e => e.offsetParent !== null)
                    .map(e => { const r = e.getBoundingClientRect();
                                return {tag: e.tagName, cls: e.className || e.parentElement.className,
                                        top: r.top, middle: r.top + r.height / 2}; })""")
    classes = " ".join(c["cls"] for c in controls)
    # the stereo control and the history ones are there (the spectrogram toggle too) ...
    for name in ("wf-play", "wf-draw", "wf-lanes-toggle", "wf-spectro-toggle", "wf-undo", "wf-redo", "wf-reload"):
        assert name in classes, (name, controls)
    # ... and on one line: every button at the same top, every control on the same middle
    button_tops = {round(c["top"]) for c in controls if c["tag"] == "BUTTON"}
    assert len(button_tops) == 1, controls
    middles = [c["middle"] for c in controls]
    assert max(middles) - min(middles) <= 3, controls


def test_the_audio_view_asks_its_label_as_a_question_not_a_button(tmp_path, corpus, run_app, page_1280x800):
    clip = corpus / "diarization" / "trn01.wav"
    db, _ = make_db(tmp_path, "quality", [json.dumps({"path": str(clip)})], "audio", labels=["GOOD_QUALITY"])
    app = run_app(db)
    card = CardPage(page_1280x800, app.url).open("quality")
    assert card.body("editable") == "0"
    legend = card.frame.locator(".wf-legend")
    assert legend.inner_text().strip() == "GOOD_QUALITY?"
    assert legend.locator("button, kbd, [aria-pressed]").count() == 0
    assert legend.get_attribute("aria-label") == "GOOD_QUALITY?"
    style = legend.locator(".wf-question-label").evaluate(
        "e => { const s = getComputedStyle(e); return [s.borderTopStyle, s.cursor]; }")
    assert style == ["none", "auto"], style
    card.page.keyboard.press("a")  # and the answer keys answer it
    card.wait_saved()
