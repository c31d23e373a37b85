"""The media browser's pages, built from the recording index: no directory is scanned to browse footage.

Every method here blocks on the index (SQLite) or the disk, so the media source runs them in the
executor. They need no `hass`: the bench times this very code (tools/bench_media.py).

Titles are numbers and times wherever possible (`2026-11-30`, `02:00-03:00`, `02:13:05 (60 s)`), so
they read the same in every language; the few fixed labels follow Home Assistant's language, since a
media source has no translation mechanism for titles.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from homeassistant.components.media_player.const import MediaClass, MediaType
from homeassistant.components.media_source import BrowseMediaSource

from .const import DOMAIN
from .engine.recording import ClipInfo, ExportInfo, RecordingIndex, RecordingLayout, SegmentInfo
from .media_nodes import CLIPS, EXPORT_VIDEO, EXPORTS, REMOVED, Node, file_identifier, parse_identifier

MP4 = "video/mp4"
DASH = "\u2013"  # an en dash between two times


class MediaNotFoundError(LookupError):
    """The identifier is well formed but names nothing there is (deleted by retention, never made)."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The fixed words of the tree in one language."""

    clips: str
    exports: str
    removed: str
    reasons: Mapping[str, str] = field(default_factory=dict)  # why a clip was made


LABELS: Mapping[str, Labels] = {
    "en": Labels("Event clips", "Evidence exports", "Removed cameras", {"motion": "motion", "action": "on request"}),
    "vi": Labels(
        "Đoạn video sự việc", "Chứng cứ trích xuất", "Camera đã gỡ", {"motion": "chuyển động", "action": "theo yêu cầu"}
    ),
}


def labels_for(language: str | None) -> Labels:
    """The labels of `language` (`vi`, `vi-VN`, ...); English for any other."""
    return LABELS.get((language or "en").split("-")[0].lower(), LABELS["en"])


@dataclass(frozen=True, slots=True)
class CameraRef:
    """A camera as the tree shows it: its page's identifier and its title."""

    node: str
    camera_id: str
    title: str


def folder(identifier: str, title: str, children: list[BrowseMediaSource] | None = None) -> BrowseMediaSource:
    """A browsable folder (its children only when it is the page being shown)."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.PLAYLIST,
        title=title,
        can_play=False,
        can_expand=True,
        children=children,
    )


def video(relative: str, title: str) -> BrowseMediaSource:
    """A playable MP4 (a segment, a clip or an export's video), named by its `file/...` identifier."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=file_identifier(relative),
        media_class=MediaClass.VIDEO,
        media_content_type=MP4,
        title=title,
        can_play=True,
        can_expand=False,
    )


def hour_title(hour: int) -> str:
    """`02:00-03:00` (the last hour of a day is `23:00-24:00`)."""
    return f"{hour:02d}:00{DASH}{hour + 1:02d}:00"


class MediaTree:
    """Pages of one media folder's footage (its index and layout), with titles in `labels`' language."""

    def __init__(self, index: RecordingIndex, layout: RecordingLayout, labels: Labels) -> None:
        self._index = index
        self._layout = layout
        self._labels = labels

    def node(self, identifier: str | None) -> Node:
        """What `identifier` names (BadIdentifierError if nothing this integration makes).

        Blocking: a `file/...` path is checked with its links followed.
        """
        return parse_identifier(identifier, self._layout)

    # --- folders above the footage -------------------------------------------------------------------

    def root(self, title: str, sites: Sequence[tuple[str, str]], known_cameras: Collection[str]) -> BrowseMediaSource:
        """The sites (identifier, title), then removed cameras and exports when there are any."""
        children = [folder(identifier, site_title) for identifier, site_title in sites]
        if self.removed_cameras(known_cameras):
            children.append(folder(REMOVED, self._labels.removed))
        if self._index.exports():
            children.append(folder(EXPORTS, self._labels.exports))
        return folder("", title, children)

    def removed_cameras(self, known_cameras: Collection[str]) -> list[str]:
        """Cameras with footage in the index that no running site has (their footage ages out)."""
        return [camera_id for camera_id in self._index.cameras() if camera_id not in known_cameras]

    def removed(self, known_cameras: Collection[str], names: Mapping[str, str]) -> BrowseMediaSource:
        """The removed cameras' folders, by their last known name (or their id)."""
        cameras = [
            CameraRef(f"{REMOVED}/{camera_id}", camera_id, names.get(camera_id, camera_id))
            for camera_id in self.removed_cameras(known_cameras)
        ]
        return cameras_page(REMOVED, self._labels.removed, cameras)

    # --- one camera's footage ------------------------------------------------------------------------

    def camera(self, camera: CameraRef) -> BrowseMediaSource:
        """A camera's days with segments or clips, newest first."""
        days = set(self._index.days(camera.camera_id)) | set(self._index.clip_days(camera.camera_id))
        return folder(camera.node, camera.title, [folder(f"{camera.node}/{day}", day) for day in sorted(days)[::-1]])

    def day(self, camera: CameraRef, day: str) -> BrowseMediaSource:
        """A camera-day: its event clips (one folder) and the hours that have segments."""
        starts = self._index.segment_starts(camera.camera_id, day)
        clips = self._index.clips_of_day(camera.camera_id, day)
        children = []
        if clips:
            children.append(folder(f"{camera.node}/{day}/{CLIPS}", f"{self._labels.clips} ({len(clips)})"))
        hours = sorted({self._layout.local(start).hour for start in starts})
        children += [folder(f"{camera.node}/{day}/{hour:02d}", hour_title(hour)) for hour in hours]
        return folder(f"{camera.node}/{day}", f"{camera.title} · {day}", children)

    def hour(self, camera: CameraRef, day: str, hour: int) -> BrowseMediaSource:
        """An hour's segments in time order."""
        # The hour on the wall clock, from the index's range; the window is an hour wider on each side
        # for a clock change (an hour that happens twice), and the hour is kept as the day page groups it.
        wall = self._hour_start(day, hour)
        segments = [
            segment
            for segment in self._index.segments_between(camera.camera_id, day, wall - 3600, wall + 7200)
            if self._layout.local(segment.start).hour == hour
        ]
        return folder(
            f"{camera.node}/{day}/{hour:02d}",
            f"{camera.title} · {day} {hour_title(hour)}",
            [video(segment.path, self._segment_title(segment)) for segment in segments],
        )

    def clips(self, camera: CameraRef, day: str) -> BrowseMediaSource:
        """A day's event clips in time order."""
        return folder(
            f"{camera.node}/{day}/{CLIPS}",
            f"{camera.title} · {day} · {self._labels.clips}",
            [video(clip.path, self._clip_title(clip)) for clip in self._index.clips_of_day(camera.camera_id, day)],
        )

    # --- evidence --------------------------------------------------------------------------------------

    def exports(self, names: Mapping[str, str]) -> BrowseMediaSource:
        """Every evidence export, newest first."""
        return folder(
            EXPORTS,
            self._labels.exports,
            [
                folder(file_identifier(f"{EXPORTS}/{export.export_id}"), self._export_title(export, names))
                for export in self._index.exports()
            ],
        )

    def export(self, export_id: str, names: Mapping[str, str]) -> BrowseMediaSource:
        """One export's videos (its manifest and sums are beside them, for `sha256sum -c`)."""
        export = self._index.export(export_id)
        if export is None:
            raise MediaNotFoundError(export_id)
        return folder(
            file_identifier(f"{EXPORTS}/{export_id}"),
            self._export_title(export, names),
            [video(f"{EXPORTS}/{export_id}/{name}", name) for name in self._export_videos(export_id)],
        )

    def _export_videos(self, export_id: str) -> list[str]:
        """The video files in an export's folder (one small folder: nothing else is listed to browse)."""
        try:
            with os.scandir(self._layout.export_dir(export_id)) as entries:
                return sorted(
                    entry.name
                    for entry in entries
                    if EXPORT_VIDEO.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                )
        except FileNotFoundError as err:
            raise MediaNotFoundError(export_id) from err

    # --- single files ----------------------------------------------------------------------------------

    def item(self, node: Node) -> BrowseMediaSource:
        """A file itself (what browsing a `file/...` id of a video shows), once it is known to exist."""
        relative = self.media_path(node)  # raises MediaNotFoundError
        assert node.relative is not None
        if node.kind == "export_video":
            return video(node.relative, relative.rsplit("/", 1)[-1])
        segment = self._index.segment(node.relative)
        if segment is not None:
            return video(node.relative, f"{node.day} {self._segment_title(segment)}")
        clip = self._index.clip(node.relative)
        if clip is not None:
            return video(node.relative, f"{node.day} {self._clip_title(clip)}")
        # A clip asked for a moment ago: its file exists before the index hears of it.
        return video(node.relative, f"{node.day} {relative.rsplit('/', 1)[-1]}")

    def media_path(self, node: Node) -> str:
        """A video's path under Home Assistant's media folder (what `/media/local/...` serves).

        Only files that are there: a segment or clip file, or a video of an export the index knows.
        """
        assert node.relative is not None
        if node.kind == "export_video" and (node.export_id is None or self._index.export(node.export_id) is None):
            raise MediaNotFoundError(node.relative)
        if not self._layout.resolve(node.relative).is_file():
            raise MediaNotFoundError(node.relative)
        return self._layout.media_relative(node.relative)

    # --- titles ------------------------------------------------------------------------------------------

    def _hour_start(self, day: str, hour: int) -> float:
        """When `hour` of `day` starts on the layout's wall clock (seconds since the epoch)."""
        naive = datetime.combine(date.fromisoformat(day), time(hour))
        tz = self._layout.tz
        return (naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()).timestamp()

    def _clock(self, wall: float) -> str:
        return self._layout.local(wall).strftime("%H:%M:%S")

    def _segment_title(self, segment: SegmentInfo) -> str:
        """`02:13:05 (60 s)`; `02:13:05 (…)` while it is being written."""
        if segment.state == "open":
            return f"{self._clock(segment.start)} (…)"
        return f"{self._clock(segment.start)} ({round(segment.end - segment.start)} s)"

    def _clip_title(self, clip: ClipInfo) -> str:
        """`02:13:05 (30 s, motion)`."""
        reason = self._labels.reasons.get(clip.reason, clip.reason)
        length = "…" if clip.state == "open" else f"{round(clip.end - clip.start)} s"
        return f"{self._clock(clip.start)} ({length}, {reason})"

    def _export_title(self, export: ExportInfo, names: Mapping[str, str]) -> str:
        """`2026-11-30 02:13:05-02:43:05 · Trúc - Ngã tư · Vụ 12/2026`."""
        start, end = self._layout.local(export.start), self._layout.local(export.end)
        until = end.strftime("%H:%M:%S" if end.date() == start.date() else "%Y-%m-%d %H:%M:%S")
        camera = names.get(export.camera, export.camera)
        return f"{_stamp(start)}{DASH}{until} · {camera} · {export.case_reference}"


def cameras_page(identifier: str, title: str, cameras: Sequence[CameraRef]) -> BrowseMediaSource:
    """A folder of camera folders (a site, or the removed cameras), by title."""
    ordered = sorted(cameras, key=lambda camera: (camera.title.casefold(), camera.camera_id))
    return folder(identifier, title, [folder(camera.node, camera.title) for camera in ordered])


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
