"""HTTP routes served beside the Streamlit app: media files by id, with Range.

The browser's audio element streams through these (seeking with Range
requests), so files of any size play without being loaded whole. Only
registered media can be fetched: the id must be a content hash found in the
database, and the path comes from the database, never from the request.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from earmark.media import get_media
from earmark.store import get_store

MEDIA_PREFIX = "/api/media"
_MEDIA_ID = re.compile(r"[0-9a-f]{32}")
_MIME = {
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".ogg": "audio/ogg",
    ".opus": "audio/ogg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm",
}


def media_url(media_id: str) -> str:
    """The URL path the browser fetches a media file from."""
    return f"{MEDIA_PREFIX}/{media_id}"


def serve_media(request: Request) -> Response:
    media_id = request.path_params["media_id"]
    if not _MEDIA_ID.fullmatch(media_id):
        return PlainTextResponse("not a media id", status_code=400)
    media = get_media(get_store(), media_id)
    if media is None:
        return PlainTextResponse("unknown media id", status_code=404)
    path = Path(media.path)
    if not path.is_file():
        return PlainTextResponse("the media file is gone from the server", status_code=410)
    return FileResponse(
        path, media_type=_MIME.get(path.suffix.lower(), "application/octet-stream"),
        headers={"Cache-Control": "private, max-age=86400"},  # content-addressed: never changes
    )


def routes() -> list[Route]:
    """Routes to pass to `st.App(..., routes=routes())`."""
    return [Route(MEDIA_PREFIX + "/{media_id:path}", serve_media, methods=["GET", "HEAD"])]
