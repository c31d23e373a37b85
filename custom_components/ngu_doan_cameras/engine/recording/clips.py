"""Event clips of one camera, from the key frame before the pre-roll until the planned end.

Several may run at once, in continuous and in events-only mode alike (the pre-roll comes from the
ring).

A clip is asked for on any thread (under the camera's lock): its file is created at once, so the
caller gets its path back. The muxer is opened on the reader thread at the next packet, because the
session's live streams, whose codec parameters the file copies, belong to that thread.
"""

from __future__ import annotations

import logging
import math
import threading
from io import FileIO
from pathlib import Path

from ..media import MediaPacket, StreamSession  # noqa: TID252 - the readers' packet interface, one level up
from .errors import RecordingError, RecordingErrorKind
from .mp4 import WRITE_ERRORS, Mp4Writer
from .preroll import PreRollRing
from .records import ClipInfo
from .settings import CameraRecordingSettings, RecorderContext

_LOGGER = logging.getLogger(__name__)


class ClipHandle:
    """A clip that was asked for: where it is written, and its result once finished."""

    def __init__(
        self, camera_id: str, clip_id: str, *, path: Path, media_path: str, start: float, trigger: float, reason: str
    ) -> None:
        self.camera_id = camera_id
        self.clip_id = clip_id  # the clip's path relative to the layout's root: stable, and its index key
        self.path = path
        self.media_path = media_path  # relative to the media folder: `/media/local/<media_path>`
        self.start = start  # wall time of the key frame it starts at
        self.trigger = trigger
        self.reason = reason
        self._done = threading.Event()
        self._info: ClipInfo | None = None

    @property
    def done(self) -> bool:
        """True once the clip is finished (or given up)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> ClipInfo | None:
        """Block until finished; the indexed clip, or None if it never got footage (or timed out)."""
        self._done.wait(timeout)
        return self._info

    def _finish(self, info: ClipInfo | None) -> None:
        self._info = info
        self._done.set()


class _Clip:
    """A clip being written (reader-thread state)."""

    __slots__ = ("end", "file", "from_wall", "handle", "limit", "writer")

    def __init__(self, handle: ClipHandle, file: FileIO, from_wall: float, end: float, limit: float) -> None:
        self.handle = handle
        self.file = file
        self.from_wall = from_wall  # footage wanted from here (trigger - pre-roll)
        self.end = end
        self.limit = limit
        self.writer: Mp4Writer | None = None

    @property
    def stop_at(self) -> float:
        return min(self.end, self.limit)


class ClipRecorder:
    """The clips of one camera. Every method runs under the camera recorder's lock."""

    def __init__(self, camera_id: str, context: RecorderContext, settings: CameraRecordingSettings) -> None:
        self.camera_id = camera_id
        self.settings = settings
        self._context = context
        self._clips: list[_Clip] = []

    @property
    def active(self) -> list[ClipHandle]:
        """Clips not finished yet."""
        return [clip.handle for clip in self._clips]

    def start(self, ring: PreRollRing, *, pre_roll: float, duration: float, reason: str, trigger: float) -> ClipHandle:
        """Ask for a clip of `duration` seconds after `trigger`, with `pre_roll` seconds before it."""
        first = ring.start_for(trigger - pre_roll)
        # No key frame kept yet (the camera has just connected): the clip starts at the next one.
        start = first.wall if first is not None else trigger
        context = self._context
        try:
            path, file = context.layout.create_media_file("clips", self.camera_id, start, context.active)
        except OSError as exc:
            raise RecordingError(RecordingErrorKind.STORAGE_ERROR, f"cannot create a clip: {exc}") from exc
        relative = context.layout.relative(path)
        handle = ClipHandle(
            self.camera_id,
            relative,
            path=path,
            media_path=context.layout.media_relative(relative),
            start=start,
            trigger=trigger,
            reason=reason,
        )
        clip = _Clip(handle, file, trigger - pre_roll, trigger + duration, start + self.settings.max_clip_seconds)
        self._clips.append(clip)
        info = self._info(clip, "open", start, start, 0)
        context.worker.submit(lambda: context.index.upsert_clip(info))
        return handle

    def set_end(self, clip_id: str, end: float, *, only_later: bool) -> None:
        """Move a running clip's end (`only_later`: never earlier than planned)."""
        for clip in self._clips:
            if clip.handle.clip_id == clip_id:
                clip.end = max(clip.end, end) if only_later else end
                return
        raise RecordingError(RecordingErrorKind.UNKNOWN_CLIP, "no such clip running")

    def running(self, clip_id: str) -> bool:
        """True while the clip is being written."""
        return any(clip.handle.clip_id == clip_id for clip in self._clips)

    def packet(self, packet: MediaPacket, session: StreamSession, ring: PreRollRing) -> None:
        """Open clips asked for since the last packet, feed every clip, finish those that are done."""
        for clip in list(self._clips):
            if clip.writer is None:
                self._open(clip, session, ring)
                if clip not in self._clips:  # cut short while catching up
                    continue
                if clip.writer is None:  # nothing kept to start from: wait for a key frame
                    if not (packet.keyframe and packet.kind == "video"):
                        continue
                    self._open_at(clip, session, packet)
            if packet.wall >= clip.stop_at:
                self._finish(clip)
                continue
            self._write(clip, packet)

    def stop(self, session: StreamSession | None, ring: PreRollRing) -> None:
        """The session is over: finish every clip where its footage ends.

        A clip asked for since the last packet gets what the ring holds.
        """
        for clip in list(self._clips):
            if clip.writer is None and session is not None:
                self._open(clip, session, ring)  # (a write error finishes the clip itself)
            if clip in self._clips:
                self._finish(clip)

    def _open(self, clip: _Clip, session: StreamSession, ring: PreRollRing) -> None:
        """Open the clip's file and write the ring's footage from its pre-roll on."""
        packets = ring.from_wall(clip.from_wall)
        if not packets:  # the ring was emptied (the session ended): the clip stays without footage
            return
        self._open_at(clip, session, packets[0])
        for packet in packets:
            if packet.wall >= clip.stop_at or not self._write(clip, packet):
                break

    def _open_at(self, clip: _Clip, session: StreamSession, first: MediaPacket) -> None:
        """Start the clip's file at the key frame `first`."""
        clip.writer = Mp4Writer(
            clip.handle.path,
            clip.file,
            session,
            first,
            fragment_seconds=self.settings.fragment_seconds,
            comment={
                "kind": "clip",
                "camera": self.camera_id,
                "session": session.session_id,
                "reason": clip.handle.reason,
                "trigger": clip.handle.trigger,
            },
        )

    def _write(self, clip: _Clip, packet: MediaPacket) -> bool:
        assert clip.writer is not None
        try:
            clip.writer.write(packet)
        except WRITE_ERRORS as exc:
            _LOGGER.warning("Clip %s of camera %s cut short: %s", clip.handle.clip_id, self.camera_id, exc)
            self._finish(clip)
            self._context.on_storage_error(self.camera_id)
            return False
        return True

    def _finish(self, clip: _Clip) -> None:
        self._clips.remove(clip)
        context = self._context
        relative = clip.handle.clip_id
        writer = clip.writer
        if writer is None:  # never got footage: nothing to keep

            def forget() -> None:
                try:
                    clip.file.close()
                    clip.handle.path.unlink(missing_ok=True)
                    context.index.forget_clip(relative)
                finally:
                    context.active.discard(relative)
                    clip.handle._finish(None)  # noqa: SLF001 - the handle's owner reports its result

            context.worker.submit(forget)
            return

        def close() -> None:
            info: ClipInfo | None = None
            try:
                size = writer.close()
                if not size:  # failed before a single fragment: no file, no row
                    context.index.forget_clip(relative)
                    return
                state = "truncated" if writer.failed else "complete"
                info = self._info(clip, state, writer.start_wall, writer.end_wall, size)
                context.index.upsert_clip(info)
            finally:
                context.active.discard(relative)
                clip.handle._finish(info)  # noqa: SLF001
            if info is not None:
                context.on_clip_done(info)

        context.worker.submit(close)

    def _info(self, clip: _Clip, state: str, start: float, end: float, size: int) -> ClipInfo:
        handle = clip.handle
        return ClipInfo(
            camera=self.camera_id,
            path=handle.clip_id,
            day=self._context.layout.day_of(handle.start),
            start=start,
            end=end if math.isfinite(end) else start,
            size=size,
            state=state,  # type: ignore[arg-type]
            reason=handle.reason,
            trigger=handle.trigger,
        )
