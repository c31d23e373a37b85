"""Forms and checks shared by the flows that add or change cameras.

Every camera is tested before it is saved: its streams are opened under a timeout (in an executor)
and any failure becomes a field error the user can act on.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import voluptuous as vol
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from . import const
from .const import (
    CONF_CHANNELS,
    CONF_LOCATION,
    CONF_MAIN_TEMPLATE,
    CONF_MAIN_URL,
    CONF_NAME_PREFIX,
    CONF_STILL_URL,
    CONF_SUB_TEMPLATE,
    CONF_SUB_URL,
    CONF_VENDOR,
    DEFAULT_RTSP_PORT,
    DOMAIN,
    MAX_CHANNELS,
    MAX_CREDENTIAL_LENGTH,
    MAX_NAME_LENGTH,
    VENDOR_CUSTOM,
)
from .engine.errors import StreamError
from .engine.probe import probe_stream
from .engine.still_url import fetch_still
from .engine.urls import (
    NVR_TEMPLATES,
    NvrTemplate,
    UrlError,
    channel_urls,
    parse_host,
    parse_url,
    split_credentials,
    strip_credentials,
    url_address,
    url_identity,
)
from .engine.urls import with_credentials as _with_credentials
from .log_redaction import install_log_redaction

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
STILL_SCHEMES = ("http", "https")
URL_FIELDS = (CONF_MAIN_URL, CONF_SUB_URL, CONF_STILL_URL)
TEMPLATE_FIELDS = frozenset({"host", "port", "ch"})
_TEXT = selector.TextSelector()
_URL = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.URL))
_PASSWORD = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))


def camera_schema(defaults: Mapping[str, Any] | None = None, *, with_name: bool = True) -> vol.Schema:
    """The camera form; the password is never filled in (left empty when changing a camera = keep it)."""
    defaults = defaults or {}
    fields: dict[vol.Marker, Any] = {}
    if with_name:
        fields[vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, vol.UNDEFINED))] = _TEXT
    fields.update(
        {
            vol.Optional(CONF_LOCATION, description={"suggested_value": defaults.get(CONF_LOCATION)}): _TEXT,
            vol.Required(CONF_MAIN_URL, default=defaults.get(CONF_MAIN_URL, vol.UNDEFINED)): _URL,
            vol.Optional(CONF_SUB_URL, description={"suggested_value": defaults.get(CONF_SUB_URL)}): _URL,
            vol.Optional(CONF_STILL_URL, description={"suggested_value": defaults.get(CONF_STILL_URL)}): _URL,
            vol.Optional(CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}): _TEXT,
            vol.Optional(CONF_PASSWORD): _PASSWORD,
        }
    )
    return vol.Schema(fields)


def nvr_schema(defaults: Mapping[str, Any] | None = None) -> vol.Schema:
    """The recorder form: one camera per channel."""
    defaults = defaults or {}
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): _TEXT,
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, 554)): vol.All(
                selector.NumberSelector(
                    selector.NumberSelectorConfig(min=1, max=65535, mode=selector.NumberSelectorMode.BOX)
                ),
                vol.Coerce(int),
            ),
            vol.Optional(CONF_USERNAME, description={"suggested_value": defaults.get(CONF_USERNAME)}): _TEXT,
            vol.Optional(CONF_PASSWORD): _PASSWORD,
            vol.Required(CONF_VENDOR, default=defaults.get(CONF_VENDOR, "hikvision")): selector.SelectSelector(
                selector.SelectSelectorConfig(
                    options=[*NVR_TEMPLATES, VENDOR_CUSTOM],
                    translation_key=CONF_VENDOR,
                    mode=selector.SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(CONF_MAIN_TEMPLATE, description={"suggested_value": defaults.get(CONF_MAIN_TEMPLATE)}): _TEXT,
            vol.Optional(CONF_SUB_TEMPLATE, description={"suggested_value": defaults.get(CONF_SUB_TEMPLATE)}): _TEXT,
            vol.Required(CONF_CHANNELS, default=defaults.get(CONF_CHANNELS, 4)): vol.All(
                selector.NumberSelector(
                    selector.NumberSelectorConfig(min=1, max=MAX_CHANNELS, mode=selector.NumberSelectorMode.BOX)
                ),
                vol.Coerce(int),
            ),
            vol.Required(CONF_NAME_PREFIX, default=defaults.get(CONF_NAME_PREFIX, "Camera")): _TEXT,
            vol.Optional(CONF_LOCATION, description={"suggested_value": defaults.get(CONF_LOCATION)}): _TEXT,
        }
    )


class FormError(Exception):
    """A user input problem: which field, which translated error."""

    def __init__(self, field: str, error: str) -> None:
        super().__init__(f"{field}: {error}")
        self.field = field
        self.error = error


def configured_stream_ids(hass: HomeAssistant, *, except_subentry: str | None = None) -> set[str]:
    """Identities of every stream URL already configured, on every site (a camera belongs to one site)."""
    ids: set[str] = set()
    for entry in hass.config_entries.async_entries(DOMAIN):
        for sub in entry.subentries.values():
            if sub.subentry_id == except_subentry:
                continue
            for key in (CONF_MAIN_URL, CONF_SUB_URL):
                if url := sub.data.get(key):
                    ids.add(url_identity(url))
    return ids


def clean_name(field: str, value: Any, *, required: bool = True) -> str:
    """A name or place typed into a form: trimmed, not too long, no control characters. Raises FormError."""
    text = str(value or "").strip()
    if (required and not text) or len(text) > MAX_NAME_LENGTH or _has_control_characters(text):
        raise FormError(field, "invalid_name")
    return text


def clean_credential(field: str, value: Any) -> str:
    """A user name or password: sent to cameras in request headers, so no control characters. Raises FormError."""
    text = str(value or "")
    if len(text) > MAX_CREDENTIAL_LENGTH or _has_control_characters(text):
        raise FormError(field, "invalid_credentials")
    return text


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def normalize_camera(user_input: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Clean the camera form. Raises FormError.

    Trims and checks the texts, moves credentials typed into a URL (user info or query string) to their
    own fields, and, when changing a camera, keeps the stored password if none was typed, but only while
    the camera's address (scheme, host, port of the main stream) and user name stay the same: a password
    is never sent to another device than the one it was given for.
    """
    data: dict[str, Any] = {
        CONF_NAME: clean_name(CONF_NAME, user_input.get(CONF_NAME) or (previous or {}).get(CONF_NAME)),
        CONF_LOCATION: clean_name(CONF_LOCATION, user_input.get(CONF_LOCATION), required=False),
        CONF_USERNAME: clean_credential(CONF_USERNAME, str(user_input.get(CONF_USERNAME) or "").strip()),
        CONF_PASSWORD: clean_credential(CONF_PASSWORD, user_input.get(CONF_PASSWORD)),
    }
    for key in URL_FIELDS:
        raw = str(user_input.get(key) or "").strip()
        try:
            url, user, password = split_credentials(raw) if raw else ("", None, None)
        except UrlError:
            raise FormError(key, "invalid_url") from None
        if user and not data[CONF_USERNAME]:
            data[CONF_USERNAME] = clean_credential(key, user)
        if password and not data[CONF_PASSWORD] and user in (None, data[CONF_USERNAME]):
            data[CONF_PASSWORD] = clean_credential(key, password)
        data[key] = url
    if not data[CONF_MAIN_URL]:
        raise FormError(CONF_MAIN_URL, "invalid_url")
    if (
        previous
        and not data[CONF_PASSWORD]
        and data[CONF_USERNAME] == previous.get(CONF_USERNAME, "")
        and url_address(data[CONF_MAIN_URL]) == url_address(str(previous.get(CONF_MAIN_URL, "")))
    ):
        data[CONF_PASSWORD] = previous.get(CONF_PASSWORD, "")
    return data


def check_url(field: str, url: str, schemes: tuple[str, ...] = STREAM_SCHEMES) -> None:
    """A URL must be absolute, with a host and a scheme we can open (FFmpeg's, or HTTP for stills)."""
    try:
        parsed = parse_url(url)
    except UrlError:
        raise FormError(field, "invalid_url") from None
    if parsed.scheme not in schemes:
        raise FormError(field, "invalid_url")


async def async_validate_camera(
    hass: HomeAssistant, data: Mapping[str, Any], *, except_subentry: str | None = None
) -> None:
    """Check URLs, refuse duplicates, then open each stream. Raises FormError."""
    taken = configured_stream_ids(hass, except_subentry=except_subentry)
    for key in URL_FIELDS:
        if data.get(key):
            check_url(key, data[key], STILL_SCHEMES if key == CONF_STILL_URL else STREAM_SCHEMES)
    for key in (CONF_MAIN_URL, CONF_SUB_URL):
        if data.get(key) and url_identity(data[key]) in taken:
            raise FormError(key, "already_configured")
    if data.get(CONF_SUB_URL) and url_identity(data[CONF_SUB_URL]) == url_identity(data[CONF_MAIN_URL]):
        raise FormError(CONF_SUB_URL, "same_as_main")
    await async_probe(hass, CONF_MAIN_URL, data, live_view=True)
    if data.get(CONF_SUB_URL):
        await async_probe(hass, CONF_SUB_URL, data, live_view=False)
    if data.get(CONF_STILL_URL):
        try:
            await hass.async_add_executor_job(
                fetch_still, data[CONF_STILL_URL], data.get(CONF_USERNAME), data.get(CONF_PASSWORD)
            )
        except StreamError as err:
            raise FormError(CONF_STILL_URL, err.kind.value) from None


async def async_probe(hass: HomeAssistant, field: str, data: Mapping[str, Any], *, live_view: bool) -> None:
    """Open the stream in `data[field]` with the camera's credentials. Raises FormError."""
    install_log_redaction()  # FFmpeg may log what it opens; a flow can probe before any site is set up
    url = _with_credentials(data[field], data.get(CONF_USERNAME), data.get(CONF_PASSWORD))
    try:
        # const.PROBE_TIMEOUT is read at call time so tests can shorten the wait.
        await hass.async_add_executor_job(
            partial(probe_stream, url, timeout=const.PROBE_TIMEOUT, require_live_view_codec=live_view)
        )
    except StreamError as err:
        raise FormError(field, err.kind.value) from None


def nvr_template(data: Mapping[str, Any]) -> NvrTemplate:
    """The vendor's URL template, or the user's own (`{ch}` for the channel; a path is put after host:port)."""
    vendor = data[CONF_VENDOR]
    if vendor != VENDOR_CUSTOM:
        return NVR_TEMPLATES[vendor]
    main = str(data.get(CONF_MAIN_TEMPLATE) or "").strip()
    sub = str(data.get(CONF_SUB_TEMPLATE) or "").strip() or None
    return NvrTemplate(
        main=_full_template(CONF_MAIN_TEMPLATE, main), sub=_full_template(CONF_SUB_TEMPLATE, sub) if sub else None
    )


def _full_template(field: str, template: str) -> str:
    if template.startswith("/"):
        template = "rtsp://{host}:{port}" + template
    try:
        # Only the three plain placeholders: no attribute access, indexing or format specs (`{ch:>99999999}`).
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)]
    except ValueError:
        raise FormError(field, "invalid_template") from None
    used = {name for name, _, _ in fields if name is not None}
    if "ch" not in used or not used <= TEMPLATE_FIELDS or any(spec or conversion for _, spec, conversion in fields):
        raise FormError(field, "invalid_template")
    try:
        check_url(field, template.format(host="example.invalid", port=DEFAULT_RTSP_PORT, ch=1))
    except FormError:
        raise FormError(field, "invalid_template") from None
    return template


def nvr_address(data: Mapping[str, Any]) -> tuple[str, int, str, str]:
    """Host (as the URL templates want it), port and credentials from the recorder form. Raises FormError.

    People type `admin:pw@10.0.0.2`, `10.0.0.2:8554` or a whole `rtsp://` URL into the address: the
    parts move to their own fields, so no channel URL ever holds a password.
    """
    try:
        address = parse_host(str(data[CONF_HOST]))
    except UrlError:
        raise FormError(CONF_HOST, "invalid_host") from None
    port = int(data[CONF_PORT])
    if address.port is not None and address.port != port:
        if port != DEFAULT_RTSP_PORT:  # both changed, and they disagree
            raise FormError(CONF_HOST, "port_conflict")
        port = address.port
    username, password = merge_credentials(
        CONF_HOST,
        clean_credential(CONF_USERNAME, str(data.get(CONF_USERNAME) or "").strip()),
        clean_credential(CONF_PASSWORD, data.get(CONF_PASSWORD)),
        address.username,
        address.password,
    )
    return replace(address, port=None).netloc, port, username, password


def merge_credentials(
    field: str, username: str, password: str, found_user: str | None, found_password: str | None
) -> tuple[str, str]:
    """The form's credentials completed with those found in `field`; a disagreement raises FormError."""
    if (found_user and username and found_user != username) or (
        found_password and password and found_password != password
    ):
        raise FormError(field, "credentials_conflict")
    return (
        clean_credential(field, username or found_user or ""),
        clean_credential(field, password or found_password or ""),
    )


def nvr_cameras(data: Mapping[str, Any], template: NvrTemplate) -> list[dict[str, Any]]:
    """One camera's data per recorder channel."""
    host, port, username, password = nvr_address(data)
    prefix = clean_name(CONF_NAME_PREFIX, data.get(CONF_NAME_PREFIX) or "Camera")
    location = clean_name(CONF_LOCATION, data.get(CONF_LOCATION), required=False)
    cameras = []
    for channel in range(1, int(data[CONF_CHANNELS]) + 1):
        main, sub = channel_urls(template, host, port, channel)
        urls = {}
        for key, field, url in ((CONF_MAIN_URL, CONF_MAIN_TEMPLATE, main), (CONF_SUB_URL, CONF_SUB_TEMPLATE, sub)):
            if url is None:
                urls[key] = ""
                continue
            try:
                urls[key], found_user, found_password = split_credentials(url)
            except UrlError:
                raise FormError(field, "invalid_template") from None
            username, password = merge_credentials(field, username, password, found_user, found_password)
        cameras.append(
            {
                CONF_NAME: f"{prefix} {channel:02d}",
                CONF_LOCATION: location,
                **urls,
                CONF_STILL_URL: "",
                CONF_USERNAME: username,
                CONF_PASSWORD: password,
            }
        )
    return cameras


async def async_validate_nvr(hass: HomeAssistant, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Build the channel cameras, drop those already configured, and test the first one. Raises FormError."""
    if data[CONF_VENDOR] == VENDOR_CUSTOM and not str(data.get(CONF_MAIN_TEMPLATE) or "").strip():
        raise FormError(CONF_MAIN_TEMPLATE, "invalid_template")
    cameras = nvr_cameras(data, nvr_template(data))
    taken = configured_stream_ids(hass)
    new = [camera for camera in cameras if url_identity(camera[CONF_MAIN_URL]) not in taken]
    if not new:
        raise FormError("base", "already_configured")
    # One channel tells whether the recorder answers and takes these credentials; the others are
    # watched at runtime (a channel with no camera behind it shows as disconnected).
    try:
        await async_probe(hass, CONF_MAIN_URL, new[0], live_view=True)
    except FormError as err:
        raise FormError("base", err.error) from None
    return new


def camera_unique_id(data: Mapping[str, Any]) -> str:
    """A camera is its main stream."""
    return url_identity(data[CONF_MAIN_URL])


async def async_cameras_from_form(
    hass: HomeAssistant, step: str, user_input: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Check the "camera" or "nvr" form: the cameras to add, or the errors to show (both empty: show the form)."""
    if user_input is None:
        return [], {}
    try:
        if step == "nvr":
            return await async_validate_nvr(hass, user_input), {}
        data = normalize_camera(user_input)
        await async_validate_camera(hass, data)
    except FormError as err:
        return [], {err.field: err.error}
    return [data], {}


def form_values(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """What a form may show again of what was typed: no password, and URLs and address without credentials."""
    values = {key: value for key, value in user_input.items() if key != CONF_PASSWORD}
    for key in URL_FIELDS:
        if isinstance(values.get(key), str):
            values[key] = strip_credentials(values[key])
    if isinstance(host := values.get(CONF_HOST), str):
        values[CONF_HOST] = host.rpartition("@")[2]
    return values


def form_schema(step: str, user_input: Mapping[str, Any] | None) -> vol.Schema:
    """The "camera" or "nvr" form, filled with what the user typed (nothing typed is lost on an error).

    A password is never sent back to the browser, not even one typed into a URL.
    """
    values = form_values(user_input or {})
    if step == "nvr":
        return nvr_schema(values)
    schema = camera_schema()
    if not values:
        return schema
    fields = {}
    for marker, validator in schema.schema.items():
        name = marker.schema
        key = type(marker)(name, description={"suggested_value": values[name]}) if name in values else marker
        fields[key] = validator
    return vol.Schema(fields)
