"""The recordings in Home Assistant's media browser, with each day's event clips and the exports.

    site → camera → day → hour → segments;  day → event clips;  evidence exports → export → videos

Pages are built from the recording index (media_tree.py), in the executor: never a directory scan of
the footage. Playing a video resolves to Home Assistant's own local media URL (`/media/local/...`,
which needs an authenticated request); the media browser signs it for the user who asked. The
identifiers (media_nodes.py) are parsed strictly and every path is checked by the engine's layout, so
nothing a client sends can make the integration read or list outside the recordings folder.

Cameras that no running site has any more (removed, or of a site that is not loaded) keep their
footage until retention removes it: they are listed at the root under "Removed cameras", by their last
known name or by their id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .const import CONF_LOCATION, DOMAIN
from .data import NguDoanConfigEntry, camera_subentries
from .engine.recording import RecordingError, RecordingErrorKind
from .media_ids import local_url
from .media_nodes import SITE, BadIdentifierError, Node, camera_identifier
from .media_tree import MP4, CameraRef, MediaNotFoundError, MediaTree, cameras_page, labels_for

_LOGGER = logging.getLogger(__name__)

SOURCE_NAME = "Ngũ Đoan Cameras"
_PLAYABLE = ("media_file", "export_video")


async def async_get_media_source(hass: HomeAssistant) -> NguDoanMediaSource:
    """The media browser's source of this integration's recordings (one for every site)."""
    return NguDoanMediaSource(hass)


def camera_title(name: str, location: str) -> str:
    """`Trúc - Ngã tư (Thôn Trúc)`: a camera's name, and where it is when that is known."""
    return f"{name} ({location})" if location and location not in name else name


@dataclass(frozen=True, slots=True)
class _Sites:
    """What the event loop knows of the sites, handed to the executor with the page to build."""

    loaded: dict[str, NguDoanConfigEntry]  # running sites by entry id
    cameras: dict[str, dict[str, str]]  # entry id -> its cameras' ids -> titles
    names: dict[str, str]  # every camera's title, also of cameras of sites not running

    @property
    def known(self) -> set[str]:
        """Cameras of running sites."""
        return {camera_id for cameras in self.cameras.values() for camera_id in cameras}

    def camera(self, node: Node, tree: MediaTree) -> CameraRef:
        """The camera a camera, day, hour or clips node belongs to; MediaNotFoundError if it has no place."""
        assert node.camera_id is not None
        if node.entry_id is None:  # under the removed cameras
            if node.camera_id not in tree.removed_cameras(self.known):
                raise MediaNotFoundError(node.camera_id)
            title = self.names.get(node.camera_id, node.camera_id)
        else:
            title_of = self.cameras.get(node.entry_id, {})
            if node.camera_id not in title_of:
                raise MediaNotFoundError(node.camera_id)
            title = title_of[node.camera_id]
        return CameraRef(node.camera_node, node.camera_id, title)


class NotPlayableError(ValueError):
    """A folder was asked to play."""


class NguDoanMediaSource(MediaSource):
    """Browse and play the footage of every site (they share one media folder and index)."""

    name = SOURCE_NAME

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """A page of the tree (see media_nodes.py for the identifiers)."""
        sites = self._sites(BrowseError)
        return await self._async_run(BrowseError, self._page, self._tree(sites), item.identifier, sites)

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """A video's URL under Home Assistant's local media (signed by the media browser for its user)."""
        tree = self._tree(self._sites(Unresolvable))
        if "local" not in self.hass.config.media_dirs:
            # The footage is in <config>/media then, which Home Assistant serves under no URL.
            raise _error(Unresolvable, "media_no_local_folder")
        media_path = await self._async_run(Unresolvable, self._media_path, tree, item.identifier)
        return PlayMedia(local_url(media_path), MP4)

    # --- the event loop's side ---------------------------------------------------------------------------

    def _sites(self, error: type[HomeAssistantError]) -> _Sites:
        entries: list[NguDoanConfigEntry] = self.hass.config_entries.async_loaded_entries(DOMAIN)
        if not entries:
            raise _error(error, "no_site_loaded")
        cameras = {
            entry.entry_id: {
                camera_id: camera_title(camera.config.name, camera.config.location)
                for camera_id, camera in entry.runtime_data.site.cameras.items()
            }
            for entry in entries
        }
        names = {
            subentry.subentry_id: camera_title(
                subentry.data.get(CONF_NAME) or subentry.title, subentry.data.get(CONF_LOCATION) or ""
            )
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            for subentry in camera_subentries(entry)
        }
        for titles in cameras.values():
            names.update(titles)
        return _Sites({entry.entry_id: entry for entry in entries}, cameras, names)

    def _tree(self, sites: _Sites) -> MediaTree:
        # Every site records into the same folder and index (recording.py): any of them reaches it.
        recorder = next(iter(sites.loaded.values())).runtime_data.recorder
        return MediaTree(recorder.index, recorder.layout, labels_for(self.hass.config.language))

    async def _async_run[T](self, error: type[HomeAssistantError], work: Callable[..., T], *args: object) -> T:
        """Run `work` (parsing, the index, the disk: all blocking) in the executor; refusals become `error`."""
        try:
            return await self.hass.async_add_executor_job(work, *args)
        except BadIdentifierError as err:
            _LOGGER.debug("Refused media identifier %r: %s", args[1], err)
            raise _error(error, "recording_unsafe_path" if err.unsafe else "media_unknown_item") from err
        except MediaNotFoundError as err:
            raise _error(error, "media_unknown_item") from err
        except NotPlayableError as err:
            raise _error(error, "media_not_playable") from err
        except RecordingError as err:
            key = "recording_unsafe_path" if err.kind is RecordingErrorKind.UNSAFE_PATH else "recording_storage_error"
            raise _error(error, key) from err
        except OSError as err:
            _LOGGER.warning("Cannot read the recordings folder: %s", err)
            raise _error(error, "recording_storage_error") from err

    # --- the executor's side ------------------------------------------------------------------------------

    @staticmethod
    def _media_path(tree: MediaTree, identifier: str | None) -> str:
        """The path under the media folder of the video `identifier` names (checked on disk: blocking)."""
        node = tree.node(identifier)
        if node.kind not in _PLAYABLE:
            raise NotPlayableError(node.kind)
        return tree.media_path(node)

    def _page(self, tree: MediaTree, identifier: str | None, sites: _Sites) -> BrowseMediaSource:
        """The page `identifier` names (blocking: the layout follows links, the index, an export's folder)."""
        node = tree.node(identifier)
        match node.kind:
            case "root":
                site_folders = sorted(
                    ((f"{SITE}/{entry_id}", entry.title) for entry_id, entry in sites.loaded.items()),
                    key=lambda site: site[1].casefold(),
                )
                return tree.root(SOURCE_NAME, site_folders, sites.known)
            case "site":
                assert node.entry_id is not None
                if (entry := sites.loaded.get(node.entry_id)) is None:
                    raise MediaNotFoundError(node.entry_id)
                refs = [
                    CameraRef(camera_identifier(node.scope, camera_id), camera_id, title)
                    for camera_id, title in sites.cameras[node.entry_id].items()
                ]
                return cameras_page(node.scope, entry.title, refs)
            case "removed":
                return tree.removed(sites.known, sites.names)
            case "camera":
                return tree.camera(sites.camera(node, tree))
            case "day":
                assert node.day is not None
                return tree.day(sites.camera(node, tree), node.day)
            case "hour":
                assert node.day is not None
                assert node.hour is not None
                return tree.hour(sites.camera(node, tree), node.day, node.hour)
            case "clips":
                assert node.day is not None
                return tree.clips(sites.camera(node, tree), node.day)
            case "exports":
                return tree.exports(sites.names)
            case "export":
                assert node.export_id is not None
                return tree.export(node.export_id, sites.names)
            case _:
                return tree.item(node)


def _error(error: type[HomeAssistantError], key: str) -> HomeAssistantError:
    """`error` with a translated message (Home Assistant shows exception messages in English)."""
    return error(translation_domain=DOMAIN, translation_key=key)
