"""How recordings are named outside the engine: media-source ids for the media browser, URLs to play them.

A file's media id is `media-source://ngu_doan_cameras/file/<path under the recordings folder>` (the
engine's layout checks that path before anything is read); its URL is Home Assistant's own local media
URL, which needs a signed or authenticated request like the rest of the media browser.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from .const import DOMAIN

MEDIA_SOURCE_PREFIX: Final = f"media-source://{DOMAIN}"
FILE_PREFIX: Final = "file/"


def file_media_id(relative: str) -> str:
    """The media id of a clip, segment or export folder (`relative` to the recordings folder)."""
    return f"{MEDIA_SOURCE_PREFIX}/{FILE_PREFIX}{relative}"


def local_url(media_path: str) -> str:
    """The URL of a file under Home Assistant's local media folder (`media_path` relative to it)."""
    return f"/media/local/{quote(media_path)}"
