"""Uploads through the real browser and Streamlit's upload machinery: a WAV is
loaded, a Python file never reaches the media folder, and "Pre-annotate with"
is a list, not a field a module path can be typed into."""

from __future__ import annotations

import importlib.machinery
import shutil


def wait_idle(page, timeout: float = 30_000) -> None:
    page.locator("[data-test-script-state=notRunning]").first.wait_for(state="attached", timeout=timeout)


def test_a_browser_upload_keeps_audio_only(run_app, wf_browser, tmp_path, corpus):
    app = run_app(tmp_path / "up.duckdb")
    files = tmp_path / "to_upload"
    files.mkdir()
    shutil.copy(corpus / "praat" / "bobby.wav", files / "bobby.wav")
    (files / "evil.py").write_text("import os\nos.system('touch /tmp/earmark-upload-ran')\ndef f(task):\n    return []\n")
    context = wf_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{app.url}/datasets")
    wait_idle(page)
    box = page.get_by_label("Dataset (new or existing)", exact=True)
    box.fill("uploaded")
    box.press("Tab")
    wait_idle(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        [str(files / "bobby.wav"), str(files / "evil.py")])
    page.get_by_text("bobby.wav").first.wait_for(timeout=30_000)
    wait_idle(page)
    # the model is chosen from a list: no text box of that name exists
    page.get_by_text("Long recordings and pre-annotation").click()
    assert page.get_by_role("textbox", name="Pre-annotate with").count() == 0
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Added 1 tasks").wait_for(timeout=60_000)
    context.close()
    media = tmp_path / "media"
    kept = sorted(p.name for p in media.iterdir())
    assert len(kept) == 1 and kept[0].endswith(".wav"), kept
    python_suffixes = tuple(importlib.machinery.all_suffixes())
    assert not any(name.endswith(python_suffixes) for name in kept)
