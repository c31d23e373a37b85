"""Bad input matrix: generated bad input through every flow of the real integration.

Each case ends in success or in a form error whose key is translated in en.json and vi.json (on a
field of the form, with every placeholder of its text provided), or in a schema refusal by Home
Assistant itself (HTTP 400, never for text fields). Never an unhandled exception. No generated
password, raw or percent-encoded, shows in the log (FFmpeg at debug included), in diagnostics, in
states, in stored subentry URLs or in any stored config entry data.

Inputs that would probe a camera point at 127.0.0.1 port 1 (refused at once), except the few that
must succeed, which use the simulator. Generation is deterministic: fixed lists plus `random.Random(SEED)`.
Run with `-s` to see the table of cases and outcomes; it is also written to the terminal without `-s`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import string
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import av
import av.logging
import pytest
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ngu_doan_cameras.const import CONF_SITE_NAME, DOMAIN, SUBENTRY_CAMERA

from .helpers import make_site, setup_site, unload_site
from .simulator import CameraSimulator

SEED = 20261130
CLOSED = "127.0.0.1:1"  # nothing listens: a probe is refused at once
HUGE = 100_000
TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"
LANGUAGES = {name: json.loads((TRANSLATIONS / f"{name}.json").read_text(encoding="utf-8")) for name in ("en", "vi")}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TEXT_FIELDS = frozenset(
    {
        "name",
        "location",
        "main_url",
        "sub_url",
        "still_url",
        "username",
        "password",
        "host",
        "main_template",
        "sub_template",
        "name_prefix",
        "zones",
        "masks",
        CONF_SITE_NAME,
    }
)

NAMES = [
    "Công an xã Ngũ Đoan",
    "Ngã tư Trúc — Km 3",
    "📷 Cổng làng 🚓",
    "مركز الشرطة",  # right to left
    "שער הכפר",
    "\u202eRTL override",
    "x" * 100,
    "x" * 101,
    "x" * HUGE,
    "",
    "   ",
    "Tên\nxuống dòng",
    "nul\x00byte",
    "tab\there",
    "esc\x1b[31m",
    "{ch} {0} %s %(x)s",
    "<script>alert(1)</script>",
    "'; DROP TABLE cameras; --",
]
SPECIALS = "@:#/%?&=+ ;,'\"\\<>[]{}|^`~!$*()"
EXOTIC = ["đ", "ế", "ẫ", "✓", "📷", "ש", "\u202e", "\u200d"]
CONTROL = ["\n", "\r", "\t", "\x00", "\x7f", "\x1b"]


@dataclass
class Case:
    """One input to one flow step, and what came of it."""

    flow: str
    label: str
    form: dict[str, Any]
    secrets: tuple[str, ...] = ()
    outcome: str = ""
    problems: list[str] = field(default_factory=list)


def secret_forms(secret: str) -> list[str]:
    """A password as typed and percent-encoded (as in a URL's user info or query)."""
    return list(dict.fromkeys([secret, quote(secret, safe=""), quote(secret)]))


class Generator:
    """Deterministic bad input: fixed lists, plus random values from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def token(self, length: int = 6) -> str:
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(length))

    def secret(self, *, control: bool = False) -> str:
        """A password no other text contains by chance, with URL-special and non-ASCII characters."""
        extra = self.rng.sample(SPECIALS, 6) + self.rng.sample(EXOTIC, 1)
        if control:
            extra.append(self.rng.choice(CONTROL))
        self.rng.shuffle(extra)
        return "Pw" + self.token() + "".join(extra)

    def user(self) -> str:
        return self.rng.choice(["admin", "ad min", "ad@min", "ad:min", "ad/min", "quản trị", "u%41", "a#b", "x"])

    def text(self, alphabet: str, most: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(0, most)))


def url_cases(gen: Generator, flow: str, main_default: str) -> Iterator[Case]:
    """The camera form: credentials typed every way into every URL field, odd URLs, odd names."""
    for n in range(16):
        user, secret = gen.user(), gen.secret(control=n % 8 == 7)
        raw, enc_user, enc = f"{user}:{secret}", quote(user, safe=""), quote(secret, safe="")
        forms = {
            "raw user info": {"main_url": f"rtsp://{raw}@{CLOSED}/cam{n}"},
            "encoded user info": {"main_url": f"rtsp://{enc_user}:{enc}@{CLOSED}/cam{n}"},
            "raw user info, sub": {"sub_url": f"rtsp://{raw}@{CLOSED}/sub{n}"},
            "query, encoded": {"still_url": f"http://{CLOSED}/snap.cgi?user={enc_user}&pwd={enc}"},
            "query, raw": {"still_url": f"http://{CLOSED}/snap.cgi?usr={user}&pwd={secret}"},
            "fields": {"username": user, "password": secret},
            "raw user info, IPv6": {"main_url": f"rtsp://{raw}@[::1]:1/cam{n}"},
        }
        for label, change in forms.items():
            form = {"name": "Cổng", "main_url": main_default} | change
            yield Case(flow, f"{label}: {user!r} / {secret!r}", form, (secret,))
    odd_urls = [
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1:554/x",
        "rtsp:/x",
        "rtsp://",
        "",
        "   ",
        "http://",
        "rtsp://:554/x",
        "rtsp://127.0.0.1:0/x",
        "rtsp://127.0.0.1:65536/x",
        "rtsp://127.0.0.1:-1/x",
        "rtsp://127.0.0.1:abc/x",
        "rtsp://127.0.0.1:99999/x",
        "rtsp://127.0.0.1: 554/x",
        "rtsp://[::1]:1/x",
        "rtsp://[::1/x",
        "rtsp://::1]/x",
        "rtsp://[::1]:/x",
        "rtsp://[zz::1]:554/x",
        "rtsp://[::1]:99999/x",
        "rtsp://máy-quay.local/x",
        f"rtsp://{CLOSED}/đường/làng",
        f"rtsp://{CLOSED}/x\n",
        f"rtsp://{CLOSED}/x\x00",
        f"rtsp://{CLOSED}/a b",
        f"rtsp://{CLOSED}/" + "x" * HUGE,
        f"rtsp://{CLOSED}/x#fragment",
        f"RTSP://{CLOSED}/UPPER",
        f"rtsps://{CLOSED}/x",
        f"https://{CLOSED}/x",
        f"rtsp://@{CLOSED}/x",
        f"rtsp://:@{CLOSED}/x",
        f"rtsp://a@b@{CLOSED}/x",
        f"http://{CLOSED}/snap.cgi?email=a@b.com",
    ]
    for url in odd_urls:
        for key in ("main_url", "sub_url", "still_url"):
            yield Case(flow, f"{key}={url[:50]!r}", {"name": "Cổng", "main_url": main_default} | {key: url})
    for name in NAMES:
        yield Case(flow, f"name={name[:30]!r}", {"name": name, "main_url": main_default})
        yield Case(flow, f"location={name[:30]!r}", {"name": "Cổng", "location": name, "main_url": main_default})
    for value in ("x" * HUGE, "ad\nmin", "\x00", "quản trị viên 📷"):
        yield Case(flow, f"username={value[:20]!r}", {"name": "Cổng", "main_url": main_default, "username": value})
    huge_secret = "P" + "w" * HUGE
    yield Case(flow, "password of 100 kB", {"name": "Cổng", "main_url": main_default, "password": huge_secret})
    for _ in range(20):
        garbage = gen.text(string.printable + "đ📷", 80)
        yield Case(flow, f"random main_url {garbage[:30]!r}", {"name": "Cổng", "main_url": garbage})
        yield Case(flow, f"random rtsp:// {garbage[:30]!r}", {"name": "Cổng", "main_url": f"rtsp://{garbage}"})


def nvr_cases(gen: Generator, flow: str) -> Iterator[Case]:
    """The recorder form: credentials and ports typed into the address, odd templates, odd numbers."""
    base = {"host": "127.0.0.1", "port": 1, "vendor": "custom", "main_template": "/cam{ch}", "channels": 2}
    for n in range(8):
        user, secret = gen.user(), gen.secret(control=n == 7)
        raw, enc = f"{user}:{secret}", f"{quote(user, safe='')}:{quote(secret, safe='')}"
        for label, change in {
            "raw in address": {"host": f"{raw}@127.0.0.1"},
            "encoded in address": {"host": f"{enc}@127.0.0.1:1"},
            "rtsp URL as address": {"host": f"rtsp://{raw}@127.0.0.1:1/", "port": 554},
            "in template": {"main_template": f"rtsp://{enc}@{{host}}:{{port}}/cam{{ch}}"},
            "fields": {"username": user, "password": secret},
            "address and other user": {"host": f"{raw}@127.0.0.1", "username": "khác"},
        }.items():
            yield Case(flow, f"{label}: {user!r} / {secret!r}", base | change, (secret,))
    hosts = [
        "127.0.0.1:1",
        "127.0.0.1:8554",
        "[::1]",
        "::1",
        "[::1]:1",
        "[::1",
        "127.0.0.1/Streaming/Channels/101",
        "http://127.0.0.1",
        "rtsp://127.0.0.1:1/",
        "",
        "   ",
        "đầu-ghi.local",
        "127.0.0.1\n",
        "127.0.0.1?x=1",
        "x" * HUGE,
        "{host}",
    ]
    for host in hosts:
        yield Case(flow, f"host={host[:40]!r}", base | {"host": host})
    templates = [
        "{ch}",
        "/cam",
        "/cam{0}",
        "/cam{ch!r}",
        "/cam{ch:>999999999}",
        "/cam{ch.__class__.__mro__}",
        "/cam{ch}{",
        "/cam{ch}}",
        "ftp://{host}/{ch}",
        "rtsp://{host}:{port}/{ch}/" + "x" * HUGE,
        "rtsp://{host}:99999/{ch}",
        "/cam{ch}\n",
        "/đường/{ch}",
    ]
    for template in templates:
        yield Case(flow, f"main_template={template[:40]!r}", base | {"main_template": template})
        yield Case(flow, f"sub_template={template[:40]!r}", base | {"sub_template": template})
    for port in (0, 65536, -1, "abc", float("nan"), float("inf"), 1.5, "554"):
        yield Case(flow, f"port={port!r}", base | {"port": port})
    for channels in (0, 65, -3, float("nan"), "two", 10**9):
        yield Case(flow, f"channels={channels!r}", base | {"channels": channels})
    for name in NAMES[6:]:
        yield Case(flow, f"name_prefix={name[:30]!r}", base | {"name_prefix": name})
    for vendor in ("hikvision", "dahua", "Hikvision", "", "../../etc"):
        yield Case(flow, f"vendor={vendor!r}", base | {"vendor": vendor})


def detection_cases(gen: Generator) -> Iterator[Case]:
    """Zones and masks as people type or paste them, and numbers that are not numbers."""
    base = {"enabled": True, "sensitivity": 50, "min_size": 60, "off_delay": 5, "max_fps": 5}
    texts = [
        "[1,2,3]",
        "[null]",
        "[[null]]",
        "[[]]",
        '{"a": 5}',
        '{"a": null}',
        '{"": [[0,0],[1,0],[1,1]]}',
        '[[["x","y"]]]',
        "[[[1e400, 0],[1,0],[1,1]]]",
        "[[[NaN, 0],[1,0],[1,1]]]",
        "[[[-Infinity, 0],[1,0],[1,1]]]",
        "[[[true, false],[1,0],[1,1]]]",
        "[[[" + "9" * 1000 + ", 0],[1,0],[1,1]]]",
        "[" * 2400 + "]" * 2400,
        "{" * 4000,
        "nan,0 1,0 1,1",
        "0,0 1,0 1",
        "1" * 800,
        "1" * 5000,
        "0.5,0.5 " * 1000,
        "0,0 1,0 1,1\n" * 21,
        "a: 0,0 1,0 1,1\na: 0,0 1,0 1,1",
        "x" * 41 + ": 0,0 1,0 1,1",
        "Cổng làng: 0,0 1,0 1,1 0,1",
        "📷: 0,0 1,0 1,1",
        "0,0 1,0 1,1\x00",
        "x" * HUGE,
        "",
        "   \n  ",
    ]
    alphabet = '0123456789.,-+eE ()[]{}":;\nabc'
    texts += [gen.text(alphabet, 300) for _ in range(30)]
    for text in texts:
        yield Case("sub.detection", f"zones={text[:40]!r}", base | {"zones": text})
        yield Case("sub.detection", f"masks={text[:40]!r}", base | {"masks": text})
    for key, values in {
        "min_size": [float("nan"), "nan", float("inf"), "-inf", -1, 0, 3, 20001, "abc"],
        "off_delay": [float("nan"), -1, 601, "5"],
        "max_fps": [float("nan"), 31, -0.5],
        "sensitivity": [float("nan"), 0, 101, "50", 50.7],
        "enabled": ["yes", None],
    }.items():
        for value in values:
            yield Case("sub.detection", f"{key}={value!r}", base | {key: value})
    yield Case("sub.detection", "zones and masks left out (cleared)", dict(base))


def site_name_cases(gen: Generator) -> Iterator[Case]:
    """Site name: a new site, and renaming one."""
    for n, name in enumerate([*NAMES, *(gen.text(string.printable + "đ📷ש", 40) for _ in range(12))]):
        # Alternately renaming first or creating first: each gets accepted names, and names already taken.
        flows = ("site.reconfigure", "site.user") if n % 2 else ("site.user", "site.reconfigure")
        for flow in flows:
            yield Case(flow, f"site_name={name[:30]!r}", {CONF_SITE_NAME: name})


def other_cases(gen: Generator) -> Iterator[Case]:
    """Options and re-authentication."""
    for value in (1, 2, 60, 61, -1, float("nan"), "nan", float("inf"), "abc", "5", None, 1e308):
        yield Case("options", f"frame_timeout={value!r}", {"frame_timeout": value})
    for n in range(10):
        user, secret = gen.user(), gen.secret(control=n == 9)
        yield Case("reauth", f"{user!r} / {secret!r}", {"username": user, "password": secret}, (secret,))
    for user in ("x" * HUGE, "", "a\r\nInjected: 1"):
        yield Case("reauth", f"username={user[:20]!r}", {"username": user, "password": "x"})


def success_cases(gen: Generator, sim: CameraSimulator) -> Iterator[Case]:
    """Cameras that really answer (the simulator): credentials typed into the URL must end up in the fields."""
    address = f"127.0.0.1:{sim.port}"
    for n in range(6):
        user, secret = gen.user(), gen.secret()
        raw, enc = f"{user}:{secret}", f"{quote(user, safe='')}:{quote(secret, safe='')}"
        forms = {
            "raw user info": {"main_url": f"rtsp://{raw}@{address}/cam1?case={n}r"},
            "encoded user info": {"main_url": f"rtsp://{enc}@{address}/cam1?case={n}e"},
            "query": {"main_url": f"rtsp://{address}/cam1?case={n}q&user={quote(user)}&pwd={quote(secret)}"},
        }
        for label, change in forms.items():
            yield Case(
                "sub.camera", f"streams, {label}: {user!r} / {secret!r}", {"name": f"Cổng {n}"} | change, (secret,)
            )
    secret = gen.secret()
    for label, url in (
        ("raw user info", f"rtsp://admin:{secret}@{address}/cam2?case=change"),
        ("query", f"rtsp://{address}/cam2?case=change&user=admin&pwd={quote(secret)}"),
    ):
        form = {"name": "Đổi", "main_url": url}
        yield Case("sub.connection", f"streams, {label}: 'admin' / {secret!r}", form, (secret,))


class Matrix:
    """Runs cases through the real flows of a real Home Assistant and judges the results."""

    def __init__(self, hass: HomeAssistant, site: MockConfigEntry, empty_site: MockConfigEntry) -> None:
        self.hass = hass
        self.site = site
        self.empty_site = empty_site
        self.camera_id = next(iter(site.subentries))
        self.reauth_flow: str | None = None
        self.runners: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "site.user": self.site_user,
            "site.camera": lambda form: self.site_step("camera", form),
            "site.nvr": lambda form: self.site_step("nvr", form),
            "sub.camera": lambda form: self.sub_step("camera", form),
            "sub.nvr": lambda form: self.sub_step("nvr", form),
            "sub.connection": lambda form: self.reconfigure_step("connection", form),
            "sub.detection": lambda form: self.reconfigure_step("detection", form),
            "site.reconfigure": self.site_reconfigure,
            "options": self.options,
            "reauth": self.reauth,
        }

    # --- the flows -------------------------------------------------------------------------------

    async def site_user(self, form: dict[str, Any]) -> Any:
        flow = self.hass.config_entries.flow
        result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await self.configure(flow, result["flow_id"], form)
        if result["type"] is FlowResultType.MENU:  # name accepted: create the site, without cameras
            result = await flow.async_configure(result["flow_id"], {"next_step_id": "no_cameras"})
        return result

    async def site_step(self, step: str, form: dict[str, Any]) -> Any:
        flow = self.hass.config_entries.flow
        result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await flow.async_configure(result["flow_id"], {CONF_SITE_NAME: "Trạm thử"})
        result = await flow.async_configure(result["flow_id"], {"next_step_id": step})
        return await self.configure(flow, result["flow_id"], form)

    async def sub_step(self, step: str, form: dict[str, Any]) -> Any:
        flow = self.hass.config_entries.subentries
        result = await flow.async_init((self.site.entry_id, SUBENTRY_CAMERA), context={"source": SOURCE_USER})
        result = await flow.async_configure(result["flow_id"], {"next_step_id": step})
        return await self.configure(flow, result["flow_id"], form)

    async def reconfigure_step(self, step: str, form: dict[str, Any]) -> Any:
        flow = self.hass.config_entries.subentries
        result = await self.site.start_subentry_reconfigure_flow(self.hass, SUBENTRY_CAMERA, self.camera_id)
        result = await flow.async_configure(result["flow_id"], {"next_step_id": step})
        return await self.configure(flow, result["flow_id"], form)

    async def site_reconfigure(self, form: dict[str, Any]) -> Any:
        result = await self.empty_site.start_reconfigure_flow(self.hass)
        return await self.configure(self.hass.config_entries.flow, result["flow_id"], form)

    async def options(self, form: dict[str, Any]) -> Any:
        result = await self.hass.config_entries.options.async_init(self.site.entry_id)
        return await self.configure(self.hass.config_entries.options, result["flow_id"], form)

    async def reauth(self, form: dict[str, Any]) -> Any:
        flow = self.hass.config_entries.flow
        if self.reauth_flow is None:  # one reauth flow at a time per entry: reuse it while it shows errors
            result = await flow.async_init(DOMAIN, context={"source": SOURCE_REAUTH, "entry_id": self.site.entry_id})
            self.reauth_flow = result["flow_id"]
        result = await flow.async_configure(self.reauth_flow, form)
        if result["type"] is not FlowResultType.FORM:
            self.reauth_flow = None
        return result

    async def configure(self, flow: Any, flow_id: str, form: dict[str, Any]) -> Any:
        """Submit the form; a flow left showing a form is aborted so the next case starts clean."""
        try:
            result = await flow.async_configure(flow_id, form)
        except InvalidData:
            flow.async_abort(flow_id)
            raise
        if result["type"] is FlowResultType.FORM:
            flow.async_abort(flow_id)
        return result

    # --- judging ---------------------------------------------------------------------------------

    async def run(self, case: Case) -> None:
        try:
            result = await self.runners[case.flow](case.form)
        except InvalidData as err:
            fields = sorted(str(key) for key in err.schema_errors)
            case.outcome = f"schema refused: {', '.join(fields)}"
            # Numbers, booleans and choices may be refused by Home Assistant's own schema (HTTP 400; the
            # frontend never sends such values). Any text must reach the integration's own checks.
            if text_fields := TEXT_FIELDS.intersection(fields):
                case.problems.append(f"text refused by the schema, not a translated error: {sorted(text_fields)}")
            return
        except Exception as err:
            case.outcome = f"EXCEPTION {type(err).__name__}"
            case.problems.append(f"unhandled {type(err).__name__}")
            return
        await self.hass.async_block_till_done()
        case.outcome = self.judge(case, result)

    def judge(self, case: Case, result: Any) -> str:
        section = self.section(case.flow)
        kind = result["type"]
        if kind is FlowResultType.CREATE_ENTRY:
            return "created"
        if kind is FlowResultType.ABORT:
            self.check_translated(case, section, "abort", result["reason"], {})
            return f"aborted: {result['reason']}"
        if kind is FlowResultType.MENU:
            return "menu"
        errors = result.get("errors") or {}
        if not errors:
            case.problems.append("a form shown again without an error")
            return "form, no error"
        fields = {marker.schema for marker in result["data_schema"].schema} | {"base"}
        for name, key in errors.items():
            if name not in fields:
                case.problems.append(f"error on {name!r}, not a field of the form")
            self.check_translated(case, section, "error", key, result.get("description_placeholders") or {})
        return "error: " + ", ".join(f"{name}={key}" for name, key in sorted(errors.items()))

    @staticmethod
    def section(flow: str) -> list[str]:
        if flow.startswith("sub."):
            return ["config_subentries", "camera"]
        return ["options"] if flow == "options" else ["config"]

    @staticmethod
    def check_translated(case: Case, section: list[str], kind: str, key: str, placeholders: dict[str, str]) -> None:
        for language, everything in LANGUAGES.items():
            strings = everything
            for part in section:
                strings = strings.get(part, {})
            text = strings.get(kind, {}).get(key)
            if text is None:
                case.problems.append(f"{kind} {key!r} not in {language}.json")
                continue
            missing = set(PLACEHOLDER.findall(text)) - set(placeholders)
            if missing:
                case.problems.append(f"{kind} {key!r} ({language}) without placeholders {sorted(missing)}")


def print_table(cases: list[Case], title: str) -> str:
    width = max(len(case.label) for case in cases)
    lines = [f"\n{title}", f"{'flow':<17} {'case':<{min(width, 70)}} outcome"]
    lines += [f"{case.flow:<17} {case.label[:70]:<{min(width, 70)}} {case.outcome}" for case in cases]
    by_flow = Counter(case.flow for case in cases)
    kinds = Counter((case.flow, case.outcome.split(":")[0]) for case in cases)
    lines.append(f"\n{len(cases)} cases")
    for flow, count in sorted(by_flow.items()):
        detail = ", ".join(f"{kind} {n}" for (f, kind), n in sorted(kinds.items()) if f == flow)
        lines.append(f"  {flow:<17} {count:>4}  ({detail})")
    return "\n".join(lines)


def camera(main_url: str) -> dict[str, Any]:
    return {"name": "Camera 1", "location": "", "main_url": main_url, "sub_url": "", "still_url": ""} | {
        "username": "admin",
        "password": "matrix-camera-password",
    }


@pytest.fixture
def ffmpeg_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged, FFmpeg at debug included, into caplog; PyAV's level restored afterwards."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(1, logger="libav")
    try:
        yield caplog
    finally:
        av.logging.set_level(previous)


@pytest.mark.usefixtures("socket_enabled")
async def test_bad_input_matrix(
    hass: HomeAssistant,
    simulator: CameraSimulator,
    hass_client: ClientSessionGenerator,
    ffmpeg_logging: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gen = Generator(SEED)
    site = make_site(hass, [camera(f"rtsp://{CLOSED}/matrix")])
    empty_site = make_site(hass, [], title="Địa điểm trống")
    matrix = Matrix(hass, site, empty_site)
    cases = [
        *url_cases(gen, "site.camera", f"rtsp://{CLOSED}/x"),
        *url_cases(gen, "sub.camera", f"rtsp://{CLOSED}/x"),
        *url_cases(gen, "sub.connection", f"rtsp://{CLOSED}/matrix"),
        *nvr_cases(gen, "site.nvr"),
        *nvr_cases(gen, "sub.nvr"),
        *detection_cases(gen),
        *other_cases(gen),
        *success_cases(gen, simulator),
        # Last: the first site created sets the integration up, and with it every site (the matrix's too).
        *site_name_cases(gen),
    ]
    for case in cases:
        await matrix.run(case)
    await hass.async_block_till_done()

    # Where passwords must never be: the log, stored data (other than a camera's password field), states,
    # diagnostics of the site with every camera that was added.
    stored_urls = json.dumps(
        [
            {key: sub.data.get(key) for key in ("main_url", "sub_url", "still_url")}
            for entry in hass.config_entries.async_entries(DOMAIN)
            for sub in entry.subentries.values()
        ]
    )
    stored_entries = json.dumps(
        [[entry.title, dict(entry.data), dict(entry.options)] for entry in hass.config_entries.async_entries(DOMAIN)]
    )
    if site.state is not ConfigEntryState.LOADED:
        await setup_site(hass, site)
    states = json.dumps([state.as_dict() for state in hass.states.async_all()], default=str)
    diagnostics = json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, site))
    for entry in hass.config_entries.async_entries(DOMAIN):  # the site, and the sites the matrix created
        await unload_site(hass, entry)
    log = ffmpeg_logging.text
    places = {
        "log": log,
        "stored URLs": stored_urls,
        "entries": stored_entries,
        "states": states,
        "diagnostics": diagnostics,
    }
    for case in cases:
        for secret in case.secrets:
            for name, text in places.items():
                if any(form in text for form in secret_forms(secret)):
                    case.problems.append(f"password in {name}")
    # The cases that stream were added, their credentials moved out of their URLs into the fields.
    streamed = [case for case in cases if case.label.startswith("streams")]
    assert sum(case.outcome == "created" for case in streamed) >= len(streamed) // 2, [c.outcome for c in streamed]

    table = print_table(cases, "Bad input matrix")
    with capsys.disabled():
        print(table)  # noqa: T201 - the table of cases and outcomes is part of what this test reports
    failures = [f"{case.flow} {case.label}: {case.outcome}: {case.problems}" for case in cases if case.problems]
    assert not failures, "\n".join(failures)
    assert site.state is ConfigEntryState.NOT_LOADED


RAW_PASSWORD = "p@ss:w#rd/%1"


@pytest.mark.usefixtures("socket_enabled")
async def test_bad_input_through_the_http_api(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the frontend does: JSON over HTTP. Bad input is a 200 with a form error or a 400, never a 500,
    and no answer carries the password back."""
    # Components that register HTTP views first: the test client freezes the router.
    assert await async_setup_component(hass, "config", {})
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    site = make_site(hass, [camera(f"rtsp://{CLOSED}/matrix")])
    rows: list[str] = []

    async def post(path: str, payload: dict[str, Any], label: str = "") -> dict[str, Any]:
        response = await client.post(path, json=payload)
        text = await response.text()
        assert response.status in (200, 400), f"{label or path}: HTTP {response.status}: {text[:500]}"
        for secret in secret_forms(RAW_PASSWORD):
            assert secret not in text, f"{label}: the password is in the answer"
        body: dict[str, Any] = json.loads(text)
        if label:
            rows.append(f"{label[:60]:<60} HTTP {response.status} {body.get('errors') or body.get('type')}")
        return body

    async def site_step(step: str) -> str:
        body = await post("/api/config/config_entries/flow", {"handler": DOMAIN})
        body = await post(f"/api/config/config_entries/flow/{body['flow_id']}", {CONF_SITE_NAME: f"Trạm {step} 📷"})
        assert body["type"] == "menu"
        body = await post(f"/api/config/config_entries/flow/{body['flow_id']}", {"next_step_id": step})
        return f"/api/config/config_entries/flow/{body['flow_id']}"

    flow = await site_step("camera")
    for label, form, error in (
        ("raw password in URL", {"main_url": f"rtsp://admin:{RAW_PASSWORD}@{CLOSED}/Streaming/Channels/101"}, None),
        ("port 99999", {"main_url": f"rtsp://admin:{RAW_PASSWORD}@127.0.0.1:99999/x"}, "invalid_url"),
        ("IPv6, bad bracket", {"main_url": "rtsp://[::1/x"}, "invalid_url"),
        ("query credentials", {"still_url": f"http://{CLOSED}/s.cgi?user=a&pwd={quote(RAW_PASSWORD)}"}, None),
        ("name of 100 kB", {"name": "x" * HUGE}, "invalid_name"),
    ):
        body = await post(flow, {"name": "Cổng", "main_url": f"rtsp://{CLOSED}/x"} | form, f"site camera: {label}")
        assert body["type"] == "form"
        assert error is None or error in body["errors"].values()
    flow = await site_step("nvr")
    nvr = {"host": f"admin:{RAW_PASSWORD}@127.0.0.1", "port": 1, "vendor": "hikvision", "channels": 2}
    body = await post(flow, nvr, "site nvr: credentials in the address")
    assert body["errors"] == {"base": "cannot_connect"}
    await post(flow, nvr | {"port": "abc"}, "site nvr: port abc")

    subentry_id = next(iter(site.subentries))
    body = await post(
        "/api/config/config_entries/subentries/flow",
        {"handler": [site.entry_id, SUBENTRY_CAMERA], "subentry_id": subentry_id},
    )
    flow = f"/api/config/config_entries/subentries/flow/{body['flow_id']}"
    body = await post(flow, {"next_step_id": "detection"})
    detection = {"enabled": True, "sensitivity": 50, "min_size": 60, "off_delay": 5, "max_fps": 5}
    for label, zones in (("[1,2,3]", "[1,2,3]"), ("[null]", "[null]"), ("deep nesting", "[" * 2400 + "]" * 2400)):
        body = await post(flow, detection | {"zones": zones}, f"detection: zones {label}")
        assert body["errors"] == {"zones": "invalid_polygons"}
        assert body["description_placeholders"]["problem"]
    # JSON has no NaN, but the number selector reads the string "nan" as one.
    body = await post(flow, detection | {"min_size": "nan"}, "detection: min_size 'nan'")
    assert "min_size" in body["errors"]
    body = await post(flow, detection, "detection: zones and masks emptied")
    assert body["type"] == "abort"

    body = await post("/api/config/config_entries/options/flow", {"handler": site.entry_id})
    flow = f"/api/config/config_entries/options/flow/{body['flow_id']}"
    body = await post(flow, {"frame_timeout": "nan"}, "options: frame_timeout 'nan'")
    assert "frame_timeout" in body["errors"]
    body = await post(flow, {"frame_timeout": 9}, "options: frame_timeout 9")
    assert body["type"] == "create_entry"
    with capsys.disabled():
        print("\nBad input through the HTTP API\n" + "\n".join(rows))  # noqa: T201 - reported table
    assert site.state is ConfigEntryState.NOT_LOADED
