"""A recorder in a process of its own, for the test that kills it (python -m tests.recording_child).

Records `clip` as camera cam1 into `media` with 4 s segments, stops feeding after `seconds` of
footage (mid-segment), prints "READY <segment being written>" and waits to be killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from custom_components.ngu_doan_cameras.engine.recording import Recorder, RecorderSettings

from .media_feed import open_feed
from .recording_support import CAMERA, NO_RETENTION, SHORT, VN, drain


def main(media: str, clip: str, wall: str, seconds: str) -> None:
    recorder = Recorder(media, tz=VN, settings=RecorderSettings(retention=NO_RETENTION))
    recorder.start()
    camera = recorder.add_camera(CAMERA, SHORT)
    with open_feed(Path(clip), wall_start=float(wall)) as feed:
        feed.start(camera)
        feed.play(camera, [packet for packet in feed.packets if packet.wall < float(wall) + float(seconds)])
        drain(recorder)
        sys.stdout.write(f"READY {camera.status.current_segment}\n")
        sys.stdout.flush()
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
