"""Shared test helpers: a site entry built from simulator cameras, and waiting on real state."""

from __future__ import annotations

import asyncio
import http.server
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import av
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ngu_doan_cameras.const import CONF_FRAME_TIMEOUT, CONF_SITE_NAME, DOMAIN, SUBENTRY_CAMERA

SITE = "Công an xã Ngũ Đoan"


def make_site(
    hass: HomeAssistant, cameras: list[dict[str, Any]], *, frame_timeout: int = 5, title: str = SITE
) -> MockConfigEntry:
    """A site entry with these cameras' subentry data, added to hass (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=slugify(title),
        data={CONF_SITE_NAME: title},
        options={CONF_FRAME_TIMEOUT: frame_timeout},
        subentries_data=[
            {"data": data, "subentry_type": SUBENTRY_CAMERA, "title": data["name"], "unique_id": data["main_url"]}
            for data in cameras
        ],
    )
    entry.add_to_hass(hass)
    return entry


async def setup_site(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the site up and let its entities appear."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def unload_site(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and check that no reader thread (nor its watchdog or socket search) survives."""
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("ngu_doan_reader")]


def reader_threads() -> list[threading.Thread]:
    """Stream reader threads still alive (each has a watchdog thread too)."""
    return [thread for thread in threading.enumerate() if thread.name.startswith("ngu_doan_reader[")]


async def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the event loop run until `predicate()` holds (readers run on their own threads)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def wait_for_state(hass: HomeAssistant, entity_id: str, state: str, timeout: float = 20.0) -> None:
    """Wait until `entity_id` is in `state`."""

    def reached() -> bool:
        current = hass.states.get(entity_id)
        return current is not None and current.state == state

    try:
        await wait_until(reached, timeout)
    except TimeoutError:
        raise AssertionError(f"{entity_id} is {hass.states.get(entity_id)}, not {state}") from None


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Decode a JPEG for real (FFmpeg) and return its width and height."""
    with av.open(io.BytesIO(data), format="mjpeg") as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


@contextmanager
def serving_http(handler: type[http.server.BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 answering with `handler`; its base URL while the block runs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=name)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Detection that reacts within seconds on the simulator's moving ball (tests wait on it, not on the clock).
FAST_DETECTION = {
    "enabled": True,
    "sensitivity": 60,
    "min_size": 60,
    "off_delay": 2,
    "max_fps": 5,
    "zones": "",
    "masks": "",
}
# Recording options with short segments, pre- and post-roll, off until a test says otherwise.
FAST_RECORDING = {
    "mode": "off",
    "retention_days": 14,
    "quota_gb": 0,
    "min_free_gb": 0,
    "segment_seconds": 10,
    "pre_roll": 4,
    "post_roll": 2,
    "max_export_hours": 1,
}
