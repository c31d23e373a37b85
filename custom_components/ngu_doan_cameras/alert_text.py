"""Text composed at runtime, in Vietnamese and English: alert messages and logbook lines.

Entity names, actions, errors and flows are translated through `translations/*.json`. Text that
the integration writes itself (the message of an alert it raises, kept in the log; a logbook line)
has no place there, so it is here, in both languages, chosen by Home Assistant's language.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant

from .alert_log import AlertKind

_TEXT: Final[dict[str, dict[str, str]]] = {
    "en": {
        "offline": "{place}: offline for more than {minutes} minutes",
        "tamper_covered": "{place}: lens covered",
        "tamper_moved": "{place}: camera moved",
        "recording_storage": "{place}: footage cannot be written (disk full or not writable)",
        "recording_stream": "{place}: not recorded, its main stream gives no video",
        "recording_index": "{place}: the recordings index is being rebuilt",
        "logbook_raised": "raised a {kind} alert: {message}",
        "logbook_acknowledged": "{kind} alert acknowledged by {user}",
        "logbook_note": "{text}: {note}",
        "someone": "an automation",
        "kind_motion": "motion",
        "kind_tamper": "tamper",
        "kind_offline": "offline",
        "kind_recording_failed": "recording failure",
        "kind_fire": "fire",
        "kind_explosion": "explosion",
        "kind_other": "other",
        "evidence_export": "exported evidence {export_id} of {camera} for case {case_reference}",
        "evidence_verify_ok": "verified evidence {export_id}: every file is as exported",
        "evidence_verify_failed": "verified evidence {export_id}: FILES CHANGED OR MISSING",
        "evidence_release": "released the legal hold of evidence {export_id}",
        "evidence": "Evidence",
    },
    "vi": {
        "offline": "{place}: mất kết nối hơn {minutes} phút",
        "tamper_covered": "{place}: bị che ống kính",
        "tamper_moved": "{place}: bị xoay lệch hướng",
        "recording_storage": "{place}: không ghi được video (ổ đĩa đầy hoặc không ghi được)",
        "recording_stream": "{place}: không được ghi hình, luồng chính không có hình",
        "recording_index": "{place}: đang dựng lại chỉ mục video ghi",
        "logbook_raised": "báo động {kind}: {message}",
        "logbook_acknowledged": "cảnh báo {kind} đã được {user} xác nhận",
        "logbook_note": "{text}: {note}",
        "someone": "một tự động hóa",
        "kind_motion": "chuyển động",
        "kind_tamper": "phá hoại camera",
        "kind_offline": "mất kết nối",
        "kind_recording_failed": "lỗi ghi hình",
        "kind_fire": "cháy",
        "kind_explosion": "nổ",
        "kind_other": "khác",
        "evidence_export": "trích xuất chứng cứ {export_id} của {camera} cho vụ việc {case_reference}",
        "evidence_verify_ok": "kiểm tra chứng cứ {export_id}: mọi tệp còn nguyên như khi trích xuất",
        "evidence_verify_failed": "kiểm tra chứng cứ {export_id}: CÓ TỆP BỊ THAY ĐỔI HOẶC MẤT",
        "evidence_release": "bỏ giữ chứng cứ {export_id}",
        "evidence": "Chứng cứ",
    },
}


def text(hass: HomeAssistant, key: str, **values: str) -> str:
    """The text `key` in Home Assistant's language (Vietnamese for any `vi`, English otherwise)."""
    language = "vi" if hass.config.language.lower().startswith("vi") else "en"
    return _TEXT[language][key].format(**values)


def kind_name(hass: HomeAssistant, kind: str) -> str:
    """An alert kind in words."""
    return text(hass, f"kind_{AlertKind(kind).value}")


def place(camera: str, area: str) -> str:
    """`Camera (area)`, or the camera alone when it has no area."""
    return f"{camera} ({area})" if area else camera
