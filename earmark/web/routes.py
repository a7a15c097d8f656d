"""HTTP routes served beside the Streamlit app: media files by id, with Range
(also the /annotate alias of the home page, and the command-line bridge).

The browser's audio element streams through these (seeking with Range
requests), so files of any size play without being loaded whole. Only
registered media can be fetched: the id must be a content hash found in the
database, and the path comes from the database, never from the request.
A registered file gone from the server since it was loaded is 410 (Gone) on
the media, clip and spectrogram routes alike.
With an access code set, each of the media, clip and spectrogram routes first
asks for the `token` its URL was minted with (earmark/web/access.py): 403 and
no bytes without it. The command-line bridge has its own token (cli_route.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from earmark.cli.bridge import ROUTE as CLI_ROUTE
from earmark.audio.clips import clip_wav
from earmark.db.media import MediaInfo, get_media
from earmark.db.store import get_store
from earmark.web.access import refusal
from earmark.web.cli_route import run_cli

MEDIA_PREFIX = "/api/media"
_MEDIA_ID = re.compile(r"[0-9a-f]{32}")
_MIME = {
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".ogg": "audio/ogg",
    ".opus": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm",
}


def media_url(media_id: str) -> str:
    """The URL path the browser fetches a media file from."""
    return f"{MEDIA_PREFIX}/{media_id}"


def _registered_media(request: Request) -> MediaInfo | Response:
    """The media the request names, or the error response: only registered ids.

    With an access code set, a request without a valid token for its media id
    is 403 before the id is looked up: a stranger learns nothing of what exists.
    """
    media_id = request.path_params["media_id"]
    denied = refusal(request, media_id)
    if denied is not None:
        return denied
    if not _MEDIA_ID.fullmatch(media_id):
        return PlainTextResponse("not a media id", status_code=400)
    media = get_media(get_store(), media_id)
    if media is None:
        return PlainTextResponse("unknown media id", status_code=404)
    return media


def registered_file(request: Request) -> tuple[MediaInfo, Path] | Response:
    """The registered media the request names and its file, or the error
    response: 403 without the access token, 404 for an unknown id, 410 when the
    file has gone from the server since it was loaded. Every media route finds
    its file here, so none can skip the token."""
    media = _registered_media(request)
    if isinstance(media, Response):
        return media
    path = Path(media.path)
    if not path.is_file():
        return PlainTextResponse("the media file is gone from the server", status_code=410)
    return media, path


def serve_media(request: Request) -> Response:
    found = registered_file(request)
    if isinstance(found, Response):
        return found
    _, path = found
    return FileResponse(
        path, media_type=_MIME.get(path.suffix.lower(), "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=86400"},  # content-addressed: never changes
    )


def clip_url(media_id: str, start: float, end: float, channel: int | None = None) -> str:
    """The URL of a window of a media file (and one of its channels)."""
    url = f"{MEDIA_PREFIX}/{media_id}/clip?start={start:.3f}&end={end:.3f}"
    return url + (f"&channel={channel}" if channel is not None else "")


def serve_clip(request: Request) -> Response:
    found = registered_file(request)   # a file gone since it was loaded is 410, as on the media route
    if isinstance(found, Response):
        return found
    media, _ = found
    try:
        start, end = float(request.query_params["start"]), float(request.query_params["end"])
        channel = request.query_params.get("channel")
        data = clip_wav(media, start, end, int(channel) if channel is not None else None)
    except (KeyError, ValueError) as exc:  # ClipError is a ValueError
        return PlainTextResponse(f"bad clip request: {exc}", status_code=400)
    return bytes_with_range(data, request.headers.get("range"), "audio/wav")


def bytes_with_range(data: bytes, range_header: str | None, media_type: str) -> Response:
    """`data`, or the single byte range asked for (the audio element seeks with these)."""
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
    if not match or not any(match.groups()):
        return Response(data, media_type=media_type, headers=headers)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
    else:
        start, end = max(0, len(data) - int(last)), len(data) - 1
    if start >= len(data) or start > end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    return Response(data[start:end + 1], status_code=206, media_type=media_type, headers=headers)


def home_alias(request: Request) -> Response:
    """/annotate, the Annotate page's name, redirects to / where it lives.

    Annotate is the home page, and Streamlit serves the home page only at /:
    a bookmarked or shared /annotate?dataset=... link would otherwise open on
    a "page not found" dialog. Relative, so it works under a base URL path.
    """
    query = request.url.query
    return RedirectResponse("./" + (f"?{query}" if query else ""), status_code=307)


def routes() -> list[Route]:
    """Routes to pass to `st.App(..., routes=routes())`."""
    from earmark.web.spectrogram_route import SPECTROGRAM_PATH, serve_spectrogram  # it imports this module
    return [
        Route("/annotate", home_alias, methods=["GET", "HEAD"]),
        Route(CLI_ROUTE, run_cli, methods=["POST"]),
        Route(MEDIA_PREFIX + "/{media_id}/clip", serve_clip, methods=["GET", "HEAD"]),
        Route(SPECTROGRAM_PATH, serve_spectrogram, methods=["GET", "HEAD"]),
        Route(MEDIA_PREFIX + "/{media_id:path}", serve_media, methods=["GET", "HEAD"]),
    ]
