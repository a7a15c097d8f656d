"""`GET /api/media/{id}/spectrogram`: a PNG spectrogram of a window of a registered media file.

Query: `start`, `end` (seconds, in the media file's own time), `width`,
`height` (pixels), and optionally `channel` (one channel; all mixed when
absent) and `max_freq` (Hz at the top; capped at the file's Nyquist
frequency, which the `X-Spectrogram-Max-Freq` header reports). Only
registered media can be drawn, exactly as the media route serves them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from earmark.audio.probe import AudioInfo, ProbeError, probe
from earmark.audio.spectrogram import SpectrogramError, spectrogram
from earmark.web.routes import MEDIA_PREFIX, registered_file

SPECTROGRAM_PATH = MEDIA_PREFIX + "/{media_id}/spectrogram"


def spectrogram_url(media_id: str, channel: int | None = None) -> str:
    """The base URL of a media file's spectrogram; the browser adds the window and size."""
    url = SPECTROGRAM_PATH.format(media_id=media_id)
    return url + (f"?channel={channel}" if channel is not None else "")


def serve_spectrogram(request: Request) -> Response:
    found = registered_file(request)   # the access token first, then the registered file
    if isinstance(found, Response):
        return found
    media, path = found
    try:
        query = _parse_query(request.query_params)
    except ValueError as exc:
        return PlainTextResponse(f"bad spectrogram request: {exc}", status_code=400)
    try:
        info = _info(path, media.duration)
        image = spectrogram(path, info, query["start"], query["end"], query["width"], query["height"],
                            channel=query["channel"], max_freq=query["max_freq"])
    except SpectrogramError as exc:
        return PlainTextResponse(f"bad spectrogram request: {exc}", status_code=400)
    except ProbeError as exc:
        # a registered file whose header is not (or no longer) audio Earmark can show
        return PlainTextResponse(f"cannot draw {path.name}: {exc}", status_code=422)
    except OSError as exc:
        return PlainTextResponse(f"cannot read {path.name}: {exc}", status_code=500)
    return Response(image.png(), media_type="image/png", headers={
        # the media id is a content hash and the URL names the whole image: it never changes
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Spectrogram-Max-Freq": f"{image.max_freq:g}",
    })


def _parse_query(params) -> dict:
    def number(name: str, kind: type, required: bool = True):
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise ValueError(f"{name} is missing")
            return None
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"{name} must be {'a whole number' if kind is int else 'a number'}, "
                             f"not {raw!r}") from None

    return {"start": number("start", float), "end": number("end", float),
            "width": number("width", int), "height": number("height", int),
            "channel": number("channel", int, required=False),
            "max_freq": number("max_freq", float, required=False)}


def _info(path: Path, known_duration: float | None) -> AudioInfo:
    info = probe(path)
    # The media row's duration is the decoded one when a header only estimated it (VBR MP3).
    if known_duration and abs(known_duration - info.duration) > 0.05:
        info = dataclasses.replace(info, duration=known_duration)
    return info
