"""Camera entities: stills from the shared reader, scaled, over HA's own HTTP API; live view source."""

from __future__ import annotations

import json

import pytest
from homeassistant.components.camera import async_get_image, async_get_stream_source
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import SIM_PASSWORD, SIM_USER, TINY_JPEG_SIZE, camera_data
from .helpers import jpeg_size, make_site, setup_site, unload_site, wait_for_state
from .simulator import CameraSimulator


@pytest.mark.usefixtures("socket_enabled")
async def test_still_images_come_from_the_stream(
    hass: HomeAssistant, auth_simulator: CameraSimulator, hass_client: ClientSessionGenerator
) -> None:
    entry = make_site(hass, [camera_data(auth_simulator, 1)])
    await setup_site(hass, entry)
    await wait_for_state(hass, "camera.camera_1", "idle")

    image = await async_get_image(hass, "camera.camera_1")
    assert image.content_type == "image/jpeg"
    assert jpeg_size(image.content) == (320, 180)  # the sub stream feeds stills
    small = await async_get_image(hass, "camera.camera_1", width=160)
    assert jpeg_size(small.content) == (160, 90)

    client = await hass_client()
    response = await client.get("/api/camera_proxy/camera.camera_1")
    assert response.status == 200
    assert jpeg_size(await response.read()) == (320, 180)

    # Live view plays the main stream, credentials percent-encoded for FFmpeg.
    source = await async_get_stream_source(hass, "camera.camera_1")
    assert source == auth_simulator.url("cam1", with_credentials=True)

    # The password is nowhere in states.
    dumped = json.dumps([state.as_dict() for state in hass.states.async_all()], default=str)
    assert SIM_PASSWORD not in dumped
    assert SIM_USER not in dumped
    await unload_site(hass, entry)


@pytest.mark.usefixtures("socket_enabled")
async def test_snapshot_url_serves_stills_while_the_stream_is_down(hass: HomeAssistant, http_server: str) -> None:
    camera = {
        "name": "Cổng chợ",
        "location": "",
        "main_url": "rtsp://127.0.0.1:1/down",
        "sub_url": "",
        "still_url": f"{http_server}/snap.jpg",
        "username": SIM_USER,
        "password": SIM_PASSWORD,
    }
    wrong = camera | {"name": "Sai mật khẩu", "main_url": "rtsp://127.0.0.1:1/down2", "password": "wrong"}
    entry = make_site(hass, [camera, wrong])
    await setup_site(hass, entry)
    await wait_for_state(hass, "binary_sensor.cong_cho_connectivity", "off")
    # The camera entity stays usable through its snapshot URL.
    assert hass.states.get("camera.cong_cho").state == "idle"
    image = await async_get_image(hass, "camera.cong_cho")
    assert jpeg_size(image.content) == TINY_JPEG_SIZE
    # A snapshot URL refusing the password gives no image (and a clear error), not a traceback.
    with pytest.raises(Exception, match="Unable to get image"):
        await async_get_image(hass, "camera.sai_mat_khau")
    await unload_site(hass, entry)
