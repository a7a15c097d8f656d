"""With an access code, in headless Chromium: the code once, then the Annotate
page plays its audio and draws its spectrogram through token URLs, and the
same URLs without their token are refused (403, no bytes)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import pytest

from apprunner import fetch

CODE = "open-sesame"
FRAME = 'iframe[title*="waveform"]'


def wait_idle(page, timeout: float = 30_000) -> None:
    page.locator("[data-test-script-state=notRunning]").first.wait_for(state="attached", timeout=timeout)


def enter_code(page) -> None:
    box = page.get_by_label("Access code")
    box.wait_for(timeout=15_000)
    box.fill(CODE)
    box.press("Enter")
    wait_idle(page)


def without_token(url: str) -> str:
    parts = urlparse(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "token"]
    return urlunparse(parts._replace(query=urlencode(query)))


@pytest.fixture
def guarded_app(run_app, tmp_path, corpus):
    (tmp_path / "earmark.json").write_text(json.dumps({"access_code": CODE, "show_audio_spectrogram": True}))
    return run_app(tmp_path / "guarded.duckdb")   # empty: the demo dataset is loaded


def test_with_the_code_the_page_plays_its_audio_and_shows_the_spectrogram(guarded_app, wf_browser):
    app = guarded_app
    context = wf_browser.new_context()
    page = context.new_page()
    media_responses: list[tuple[str, int]] = []
    page.on("response", lambda r: media_responses.append((r.url, r.status)) if "/api/media/" in r.url else None)
    page.goto(f"{app.url}/?session=ann")
    wait_idle(page)
    enter_code(page)
    frame = page.frame_locator(FRAME)
    frame.locator("body[data-ready]").wait_for(state="attached", timeout=30_000)

    audio_url = frame.locator("body").get_attribute("data-audio")
    assert "token=" in audio_url
    # the spectrogram lane shows its image
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = frame.locator("body")
        loaded = body.get_attribute("data-spectrogram-loaded")
        if loaded and loaded == body.get_attribute("data-spectrogram-requested"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no spectrogram image: {media_responses}")
    spectrogram_url = loaded
    assert "token=" in spectrogram_url and "width=" in spectrogram_url
    width = frame.locator(".wf-spectro img.wf-spectro-img:not([hidden])").first.evaluate(
        "img => img.complete ? img.naturalWidth : 0")
    assert width > 0

    # it plays: the playback position moves on; a seek forward plays on from there
    frame.locator(".wf-time").click()
    page.keyboard.press("Space")
    position = ("() => { const f = document.querySelector('iframe[title*=\"waveform\"]');"
                " return f && f.contentWindow.__wfCurrentTime ? f.contentWindow.__wfCurrentTime() : 0; }")
    page.wait_for_function(f"() => ({position})() > 0.3", timeout=15_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({position})() > 1.5", timeout=15_000)
    # zoomed in, the lane asks for a new window with the same token, and shows it
    page.keyboard.press("Space")
    page.keyboard.press("+")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = frame.locator("body")
        zoomed = body.get_attribute("data-spectrogram-loaded")
        if zoomed and zoomed != spectrogram_url and zoomed == body.get_attribute("data-spectrogram-requested"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no image after zooming: {media_responses}")
    assert dict(parse_qsl(urlparse(zoomed).query))["token"] == dict(parse_qsl(urlparse(spectrogram_url).query))["token"]
    assert all(status in (200, 206) for _, status in media_responses), media_responses

    # the same URLs, without their token, from this very browser (which entered the code): 403, no bytes
    base = f"{app.url}/"
    for url in (audio_url, spectrogram_url):
        absolute = url if url.startswith("http") else base + url.lstrip("./")
        status, size = page.evaluate(
            "url => fetch(url).then(async r => [r.status, (await r.arrayBuffer()).byteLength])",
            without_token(absolute))
        assert (status, size) == (403, 0), url
        status, _, body = fetch(without_token(absolute))         # and from any other client
        assert (status, body) == (403, b"")
        status, _, body = fetch(absolute, {"Range": "bytes=0-99"})  # with it: served, ranges too
        assert status in (200, 206) and body
    context.close()


@pytest.mark.parametrize("path, title", [("/review?dataset=demo&session=ann", "Review"),
                                         ("/statistics?dataset=demo", "Statistics")])
def test_after_the_code_the_link_opens_its_own_page_and_query(guarded_app, wf_browser, path, title):
    context = wf_browser.new_context()
    page = context.new_page()
    page.goto(guarded_app.url + path)
    wait_idle(page)
    enter_code(page)
    page.locator("h1", has_text=title).wait_for(timeout=15_000)
    assert page.url == guarded_app.url + path
    context.close()
