"""The fault matrix: real cameras failing in every way we know, against the real integration.

Each fault is applied to its own camera of one site, all at once (a bad night on the commune's
network), and each must show as that camera down, for a reason that says what happened, without
touching the other cameras, and heal by itself. Then the whole camera server restarts (a recorder
rebooting), the site is unloaded and reloaded while its cameras are still connecting, and Home
Assistant stops. Throughout, the cameras' password never reaches the log.

The table of cases and outcomes is printed (run with `-s` to see it in the test output).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant

from custom_components.ngu_doan_cameras.engine.stats import ReaderState

from .conftest import SIM_USER, camera_data
from .helpers import make_site, reader_threads, setup_site, unload_site, wait_for_state, wait_until
from .simulator import CameraSimulator

PASSWORD = "đêm:tối@402/#%?&"  # the simulator's password, full of URL-special characters


@pytest.fixture
def faulty_simulator() -> Iterator[CameraSimulator]:
    """Four cameras with sub streams and sound, behind digest auth: one per fault."""
    with CameraSimulator(cameras=4, sub=True, audio=True, user=SIM_USER, password=PASSWORD) as sim:
        yield sim


@dataclass
class Case:
    """One fault on one camera: how to cause and heal it, and which reasons describe it truthfully."""

    name: str
    camera: int
    cause: Callable[[CameraSimulator], None]
    heal: Callable[[CameraSimulator], None]
    reasons: frozenset[str]
    observed: str = "-"
    recovered: str = "-"


CASES = [
    Case("dropped (404)", 1, lambda s: s.drop("cam1"), lambda s: s.restore("cam1"),
         frozenset({"stream_not_found", "cannot_connect", "timeout"})),
    Case("frozen picture", 2, lambda s: s.freeze("cam2"), lambda s: s.thaw("cam2"), frozenset({"timeout"})),
    Case("sound only (video stalled)", 3, lambda s: s.stall("cam3"), lambda s: s.thaw("cam3"),
         frozenset({"timeout"})),
    Case("damaged video", 4, lambda s: s.corrupt("cam4"), lambda s: s.uncorrupt("cam4"),
         frozenset({"corrupt", "timeout"})),
]  # fmt: skip


def connectivity(n: int) -> str:
    return f"binary_sensor.camera_{n}_connectivity"


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["", *("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)]
    print("\n".join(lines))  # noqa: T201 - the matrix's table belongs in the test output


@pytest.mark.usefixtures("socket_enabled")
async def test_fault_matrix(
    hass: HomeAssistant,
    faulty_simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = faulty_simulator
    cameras = [camera_data(sim, n, username=SIM_USER, password=PASSWORD) for n in range(1, 5)]
    entry = make_site(hass, cameras, frame_timeout=2)
    await setup_site(hass, entry)
    for n in range(1, 5):
        await wait_for_state(hass, connectivity(n), "on", timeout=30)
    rows = [("case", "camera", "reason shown", "others unaffected", "recovered")]

    # 1. One fault per camera, all at once: each camera down for its own reason.
    started = time.monotonic()
    for case in CASES:
        case.cause(sim)
    for case in CASES:
        await wait_for_state(hass, connectivity(case.camera), "off", timeout=30)
        case.observed = hass.states.get(connectivity(case.camera)).attributes["reason"]
    for case in CASES:
        case.heal(sim)
    for case in CASES:
        await wait_for_state(hass, connectivity(case.camera), "on", timeout=120)
        case.recovered = f"{time.monotonic() - started:.0f} s after the faults"
    rows.extend((case.name, f"cam{case.camera}", case.observed, "n/a (all at once)", case.recovered) for case in CASES)

    # 2. The same faults one at a time: the other cameras never notice.
    others_dropped: dict[str, list[int]] = {}
    for case in CASES:
        before = {n: entry.runtime_data.site.cameras[sub_id].reader for n, sub_id in _ids(entry).items()}
        case.cause(sim)
        await wait_for_state(hass, connectivity(case.camera), "off", timeout=30)
        others_dropped[case.name] = [
            n for n in range(1, 5) if n != case.camera and hass.states.get(connectivity(n)).state != "on"
        ]
        case.heal(sim)
        await wait_for_state(hass, connectivity(case.camera), "on", timeout=120)
        after = {n: entry.runtime_data.site.cameras[sub_id].reader for n, sub_id in _ids(entry).items()}
        assert after == before  # same readers: nothing was restarted around the fault
        rows.append((f"{case.name}, alone", f"cam{case.camera}", "off, then on", str(not others_dropped[case.name]),
                     "yes"))  # fmt: skip

    # 3. The camera server restarts (a recorder rebooting): every camera down, every camera back.
    sim.restart()
    for n in range(1, 5):
        await wait_for_state(hass, connectivity(n), "on", timeout=120)
    reconnects = [camera.stats.reconnects for camera in entry.runtime_data.site.cameras.values()]
    rows.append(("camera server restarted", "all", "reconnected", "n/a", f"reconnects {reconnects}"))

    # 4. Unloaded while its cameras are still connecting, then set up and reloaded while connecting.
    sim.restart()
    await unload_site(hass, entry)  # asserts no reader thread is left
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert all(
        camera.stats.state in {ReaderState.IDLE, ReaderState.CONNECTING, ReaderState.STREAMING}
        for camera in entry.runtime_data.site.cameras.values()
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(reader_threads()) == 4  # one watched reader per camera (no recording: no main-stream reader)
    for n in range(1, 5):
        await wait_for_state(hass, connectivity(n), "on", timeout=120)
    rows.append(("unload / reload while connecting", "all", "no leaked thread", "n/a", "streaming again"))

    # 5. Home Assistant stops: every session ends with it.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    await wait_until(lambda: not reader_threads(), timeout=30)
    rows.append(("Home Assistant stops", "all", "readers stopped", "n/a", "n/a"))
    await unload_site(hass, entry)

    with capsys.disabled():
        print_table(rows)
    for case in CASES:
        assert case.observed in case.reasons, (case.name, case.observed)
        assert others_dropped[case.name] == [], (case.name, others_dropped[case.name])
    log = caplog.text
    for secret in (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)):
        assert secret not in log


def _ids(entry: object) -> dict[int, str]:
    """Camera number -> its subentry id."""
    subentries = entry.subentries.values()  # type: ignore[attr-defined]
    return {int(sub.title.rsplit(" ", 1)[1]): sub.subentry_id for sub in subentries}
