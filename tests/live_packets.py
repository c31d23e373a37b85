"""A packet-only reading of a live RTSP camera feeding a PacketSink, as the reader's sink API will.

Until `engine/reader.py` emits sessions and packets on this branch, the live recording tests read a
camera's main stream here: one thread, one RTSP session at a time, a new session after every drop,
packets copied into `MediaPacket`s with wall = the session's anchor + the stream's own clock.
"""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from typing import Self

import av

from custom_components.ngu_doan_cameras.engine.media import MediaPacket, PacketSink, StreamSession
from custom_components.ngu_doan_cameras.engine.probe import open_options


class LivePackets:
    """Reads `url` on a thread until stopped, handing every session and packet to `sink`."""

    def __init__(self, url: str, sink: PacketSink) -> None:
        self._url = url
        self._sink = sink
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test_live_packets")
        self.sessions = 0

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(20)
        assert not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except (OSError, av.error.FFmpegError):
                self._stop.wait(0.3)  # dropped or refused: try again

    def _session(self) -> None:
        container = av.open(self._url, options=open_options(self._url), timeout=(5.0, 2.0))
        try:
            video = container.streams.video[0]
            anchor = time.time()
            self.sessions += 1
            session = StreamSession(
                session_id=self.sessions,
                started_wall=anchor,
                codec=video.codec_context.name,
                width=video.codec_context.width,
                height=video.codec_context.height,
                audio_codec=None,
                video=video,
                audio=None,
            )
            self._sink.session_started(session)
            origin: float | None = None
            try:
                for packet in container.demux(video):
                    if self._stop.is_set():
                        return
                    if packet.size == 0 or packet.dts is None:
                        continue
                    time_base: Fraction = packet.time_base
                    seconds = float(packet.dts * time_base)
                    origin = seconds if origin is None else origin
                    self._sink.packet(
                        MediaPacket(
                            "video",
                            bytes(packet),
                            packet.pts,
                            packet.dts,
                            packet.duration or 0,
                            time_base,
                            packet.is_keyframe,
                            anchor + seconds - origin,
                        ),
                        session,
                    )
            finally:
                self._sink.session_ended(session)
        finally:
            container.close()
