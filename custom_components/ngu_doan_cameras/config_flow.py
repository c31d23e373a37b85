"""Config flows: a site (config entry) with its cameras (subentries), added one by one or from a recorder.

- Site: name, then add the first cameras: one camera, every channel of a recorder (NVR), or none yet.
- Camera subentries: add one camera, add a recorder's channels, change a camera (reconfigure).
- Reauth: when cameras start refusing their password, ask once for the new one and apply it to them.
- Options: how long without frames before a camera counts as disconnected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import slugify

from .camera_form import (
    FormError,
    async_cameras_from_form,
    async_probe,
    async_validate_camera,
    camera_schema,
    camera_unique_id,
    clean_name,
    form_schema,
    form_values,
    normalize_camera,
)
from .const import (
    CONF_DETECTION,
    CONF_ENABLED,
    CONF_FIRE,
    CONF_FLASH,
    CONF_FRAME_TIMEOUT,
    CONF_MAIN_URL,
    CONF_MASKS,
    CONF_MAX_FPS,
    CONF_MIN_SIZE,
    CONF_OFF_DELAY,
    CONF_RECORDING,
    CONF_SENSITIVITY,
    CONF_SITE_NAME,
    CONF_SOUND,
    CONF_SOUND_LEVEL,
    CONF_ZONES,
    DEFAULT_FRAME_TIMEOUT,
    DEFAULT_SITE_RECORDING,
    DOMAIN,
    MAX_FRAME_TIMEOUT,
    MIN_FRAME_TIMEOUT,
    SUBENTRY_CAMERA,
)
from .data import camera_recording_options, camera_subentries, detection_options, site_recording_options
from .engine.geometry import (
    MAX_POINTS,
    MAX_POLYGON_TEXT,
    MAX_POLYGONS,
    PolygonError,
    parse_polygons,
    parse_zones,
)
from .recording_form import (
    CAMERA_RECORDING_SCHEMA,
    camera_recording_form_data,
    site_recording_form_data,
    site_recording_schema,
)

SITE_SCHEMA = vol.Schema({vol.Required(CONF_SITE_NAME): selector.TextSelector()})
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_USERNAME): selector.TextSelector(),
        vol.Optional(CONF_PASSWORD): selector.TextSelector(
            selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD)
        ),
    }
)

_MULTILINE = selector.TextSelector(selector.TextSelectorConfig(multiline=True))
# The recorder form's texts show "{ch}" literally; as a placeholder it needs a value.
NVR_TEXT = {"ch": "{ch}"}


def _number(low: float, high: float, step: float, unit: str) -> vol.All:
    # The selector lets NaN through (it compares, and NaN compares false): stored, it would break the
    # camera's next setup. vol.Range rejects it; the frontend never sends one, a hand-made request could.
    return vol.All(
        selector.NumberSelector(
            selector.NumberSelectorConfig(
                min=low, max=high, step=step, unit_of_measurement=unit, mode=selector.NumberSelectorMode.BOX
            )
        ),
        vol.Range(min=low, max=high),
    )


DETECTION_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENABLED): selector.BooleanSelector(),
        vol.Required(CONF_SENSITIVITY): vol.All(
            selector.NumberSelector(selector.NumberSelectorConfig(min=1, max=100, step=1)), vol.Coerce(int)
        ),
        vol.Required(CONF_MIN_SIZE): vol.All(_number(4, 20000, 1, "px"), vol.Coerce(int)),
        vol.Required(CONF_OFF_DELAY): _number(0, 600, 1, "s"),
        vol.Required(CONF_MAX_FPS): _number(0, 30, 1, "fps"),
        vol.Optional(CONF_ZONES): _MULTILINE,
        vol.Optional(CONF_MASKS): _MULTILINE,
        # Fire, flash and sound: left out of a form, they keep what was set.
        vol.Optional(CONF_FIRE): selector.BooleanSelector(),
        vol.Optional(CONF_FLASH): selector.BooleanSelector(),
        vol.Optional(CONF_SOUND): selector.BooleanSelector(),
        vol.Optional(CONF_SOUND_LEVEL): _number(6, 60, 1, "dB"),
    }
)


def _subentry(data: Mapping[str, Any]) -> ConfigSubentryData:
    return ConfigSubentryData(
        data=dict(data), subentry_type=SUBENTRY_CAMERA, title=data[CONF_NAME], unique_id=camera_unique_id(data)
    )


class NguDoanConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a site."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with no site name."""
        self._site_name = ""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SiteOptionsFlow:
        """Options of a site."""
        return SiteOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(cls, config_entry: ConfigEntry) -> dict[str, type[ConfigSubentryFlow]]:
        """Cameras are subentries of their site."""
        return {SUBENTRY_CAMERA: CameraSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name the site; the same site cannot be added twice."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                self._site_name = clean_name(CONF_SITE_NAME, user_input[CONF_SITE_NAME])
            except FormError as err:
                errors[err.field] = err.error
            else:
                await self.async_set_unique_id(slugify(self._site_name))
                self._abort_if_unique_id_configured()
                return self.async_show_menu(step_id="user", menu_options=["nvr", "camera", "no_cameras"])
        return self.async_show_form(step_id="user", data_schema=SITE_SCHEMA, errors=errors)

    async def async_step_camera(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The site's first camera, entered by hand."""
        return await self._async_cameras_step("camera", user_input)

    async def async_step_nvr(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Every channel of a recorder becomes a camera."""
        return await self._async_cameras_step("nvr", user_input)

    async def _async_cameras_step(self, step: str, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        cameras, errors = await async_cameras_from_form(self.hass, step, user_input)
        if cameras:
            return self._create_site([_subentry(camera) for camera in cameras])
        return self.async_show_form(
            step_id=step, data_schema=form_schema(step, user_input), errors=errors, description_placeholders=NVR_TEXT
        )

    async def async_step_no_cameras(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the site now, add cameras later."""
        return self._create_site([])

    def _create_site(self, subentries: list[ConfigSubentryData]) -> ConfigFlowResult:
        return self.async_create_entry(
            title=self._site_name,
            data={CONF_SITE_NAME: self._site_name},
            options={CONF_FRAME_TIMEOUT: DEFAULT_FRAME_TIMEOUT, CONF_RECORDING: dict(DEFAULT_SITE_RECORDING)},
            subentries=subentries,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Rename the site."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                name = clean_name(CONF_SITE_NAME, user_input[CONF_SITE_NAME])
            except FormError as err:
                errors[err.field] = err.error
            else:
                unique_id = slugify(name)
                if any(
                    other.unique_id == unique_id and other.entry_id != entry.entry_id
                    for other in self.hass.config_entries.async_entries(DOMAIN)
                ):
                    errors[CONF_SITE_NAME] = "site_exists"
                else:
                    # No reload: the running site renames its device in place (updates.py); cameras keep streaming.
                    self.hass.config_entries.async_update_entry(
                        entry, title=name, unique_id=unique_id, data={**entry.data, CONF_SITE_NAME: name}
                    )
                    return self.async_abort(reason="reconfigure_successful")
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, user_input or entry.data),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Cameras of the site refuse their credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the new user name and password once, and give them to every camera that takes them.

        Only cameras that accept the new credentials are changed: a camera with its own password keeps it.
        """
        entry = self._get_reauth_entry()
        candidates = _cameras_refusing_credentials(entry)
        errors: dict[str, str] = {}
        if user_input is not None and candidates:
            new = {CONF_USERNAME: user_input[CONF_USERNAME].strip(), CONF_PASSWORD: user_input.get(CONF_PASSWORD, "")}
            accepted, error = await _async_cameras_accepting(self.hass, candidates, new)
            if accepted:
                # Applied as one batch by the running site: only these cameras reconnect.
                for subentry in accepted:
                    self.hass.config_entries.async_update_subentry(entry, subentry, data={**subentry.data, **new})
                if entry.state is not ConfigEntryState.LOADED:
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_abort(reason="reauth_successful")
            errors["base"] = error
        suggested = {CONF_USERNAME: candidates[0].data.get(CONF_USERNAME, "")} if candidates else {}
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(CREDENTIALS_SCHEMA, user_input or suggested),
            description_placeholders={"cameras": ", ".join(sub.title for sub in candidates)},
            errors=errors,
        )


def _cameras_refusing_credentials(entry: ConfigEntry) -> list[ConfigSubentry]:
    """Cameras that last refused their credentials; every camera when the site is not running to tell."""
    cameras = camera_subentries(entry)
    if entry.state is not ConfigEntryState.LOADED:
        return cameras
    refusing = entry.runtime_data.coordinator.auth_failed
    return [sub for sub in cameras if sub.subentry_id in refusing] or cameras


async def _async_cameras_accepting(
    hass: HomeAssistant, cameras: list[ConfigSubentry], credentials: Mapping[str, str]
) -> tuple[list[ConfigSubentry], str]:
    """Try the credentials on every camera at once; those that accept them, and the first refusal's error."""
    results = await asyncio.gather(
        *(async_probe(hass, CONF_MAIN_URL, {**sub.data, **credentials}, live_view=True) for sub in cameras),
        return_exceptions=True,
    )
    accepted = [sub for sub, result in zip(cameras, results, strict=True) if result is None]
    errors = [result.error for result in results if isinstance(result, FormError)]
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, FormError):
            raise result
    return accepted, errors[0] if errors else "unknown"


class SiteOptionsFlow(OptionsFlow):
    """How the site watches and records its cameras."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Frame timeout; the recording section: default mode, storage limits, clip timings."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_FRAME_TIMEOUT: int(user_input[CONF_FRAME_TIMEOUT]),
                    CONF_RECORDING: site_recording_form_data(user_input.get(CONF_RECORDING, {})),
                }
            )
        current = site_recording_options(self.config_entry)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_FRAME_TIMEOUT,
                    default=self.config_entry.options.get(CONF_FRAME_TIMEOUT, DEFAULT_FRAME_TIMEOUT),
                ): vol.All(
                    _number(MIN_FRAME_TIMEOUT, MAX_FRAME_TIMEOUT, 1, "s"),
                    vol.Coerce(int),  # also refuses NaN, which the selector lets through
                ),
                vol.Required(CONF_RECORDING, default={}): section(site_recording_schema(current), {"collapsed": False}),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)


class CameraSubentryFlow(ConfigSubentryFlow):
    """Add cameras to a site, or change one."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """One camera, or every channel of a recorder."""
        return self.async_show_menu(step_id="user", menu_options=["camera", "nvr"])

    async def async_step_camera(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A camera entered by hand."""
        return await self._async_cameras_step("camera", user_input)

    async def async_step_nvr(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Every channel of a recorder: all but the last are added here, the last is this flow's result."""
        return await self._async_cameras_step("nvr", user_input)

    async def _async_cameras_step(self, step: str, user_input: dict[str, Any] | None) -> SubentryFlowResult:
        cameras, errors = await async_cameras_from_form(self.hass, step, user_input)
        if not cameras:
            return self.async_show_form(
                step_id=step,
                data_schema=form_schema(step, user_input),
                errors=errors,
                description_placeholders=NVR_TEXT,
            )
        entry = self._get_entry()
        for data in cameras[:-1]:
            subentry = _subentry(data)
            self.hass.config_entries.async_add_subentry(
                entry,
                ConfigSubentry(
                    data=MappingProxyType(dict(subentry["data"])),
                    subentry_type=subentry["subentry_type"],
                    title=subentry["title"],
                    unique_id=subentry["unique_id"],
                ),
            )
        last = cameras[-1]
        return self.async_create_entry(title=last[CONF_NAME], data=last, unique_id=camera_unique_id(last))

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change a camera's connection, or its detection (zones, masks, sensitivity)."""
        return self.async_show_menu(step_id="reconfigure", menu_options=["connection", "detection", "recording"])

    async def async_step_recording(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """What this camera records: the site's default, or its own mode; and whether motion makes clips."""
        subentry = self._get_reconfigure_subentry()
        current = camera_recording_options(subentry.data.get(CONF_RECORDING))
        if user_input is not None:
            return self.async_update_and_abort(
                self._get_entry(),
                subentry,
                data={**subentry.data, CONF_RECORDING: camera_recording_form_data(user_input)},
            )
        return self.async_show_form(
            step_id="recording",
            data_schema=self.add_suggested_values_to_schema(CAMERA_RECORDING_SCHEMA, current),
        )

    async def async_step_detection(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Detection settings; zones and masks as polygons typed or pasted as text."""
        subentry = self._get_reconfigure_subentry()
        current = detection_options(subentry.data.get(CONF_DETECTION))
        errors: dict[str, str] = {}
        placeholders = dict(POLYGON_LIMITS, problem="")
        if user_input is not None:
            # The frontend leaves empty optional fields out of what it sends: a missing zones or masks
            # field is one the user emptied, not one to keep.
            options = {**current, **user_input}
            for key in (CONF_ZONES, CONF_MASKS):
                options[key] = str(user_input.get(key) or "").strip()
            # One field at a time: the problem placeholder can describe one error.
            for key, parse in ((CONF_ZONES, parse_zones), (CONF_MASKS, parse_polygons)):
                try:
                    parse(options[key])
                except PolygonError as err:
                    errors[key] = "polygons_too_large" if err.problem == "too_large" else "invalid_polygons"
                    placeholders["problem"] = await _polygon_problem(self.hass, err)
                    break
            if not errors:
                return self.async_update_and_abort(
                    self._get_entry(), subentry, data={**subentry.data, CONF_DETECTION: options}
                )
        return self.async_show_form(
            step_id="detection",
            data_schema=self.add_suggested_values_to_schema(DETECTION_SCHEMA, user_input or current),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_connection(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Change a camera: name, place, URLs, credentials (an empty password keeps the old one)."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = normalize_camera(user_input, previous=subentry.data)
                await async_validate_camera(self.hass, data, except_subentry=subentry.subentry_id)
            except FormError as err:
                errors[err.field] = err.error
            else:
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=data[CONF_NAME],
                    data={**data, CONF_DETECTION: subentry.data.get(CONF_DETECTION, {})},
                    unique_id=camera_unique_id(data),
                )
        return self.async_show_form(
            step_id="connection",
            data_schema=self.add_suggested_values_to_schema(camera_schema(), form_values(user_input or subentry.data)),
            errors=errors,
        )


POLYGON_LIMITS = {
    "max_chars": str(MAX_POLYGON_TEXT),
    "max_polygons": str(MAX_POLYGONS),
    "max_points": str(MAX_POINTS),
}


async def _polygon_problem(hass: HomeAssistant, err: PolygonError) -> str:
    """What is wrong with a zones or masks text, in Home Assistant's language (the flow has no other)."""
    translations = await async_get_translations(hass, hass.config.language, "exceptions", {DOMAIN})
    template = translations.get(f"component.{DOMAIN}.exceptions.polygon_{err.problem}.message", "{near}")
    return template.format_map({"line": err.line, "near": err.near})
