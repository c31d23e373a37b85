"""The duty dashboard's own words (titles, headings, labels), in Vietnamese and English.

The dashboard is stored in Home Assistant as one configuration, written in one language when it is
created (the action's `language`, or Home Assistant's). Its words are composed here, not in
`translations/*.json`, which has no place for a dashboard's text. The custom cards translate their
own few labels in the browser, in each viewer's language (`ngu-doan-cards.js`).
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("vi", "en")

_TEXT: Final[dict[str, dict[str, str]]] = {
    "vi": {
        "title": "Trực ban",
        "no_area": "Chưa xếp khu vực",
        "alerts": "Cảnh báo đang mở",
        "recording_section": "Ghi hình và lưu trữ",
        "status": "Trạng thái",
        "snapshots": "Ảnh chuyển động gần đây",
        "clips": "Video đã ghi (trình duyệt media)",
        "open_alerts": "Cảnh báo mở",
        "recording_problem": "Sự cố ghi hình",
        "storage_used": "Dung lượng video ghi",
        "free_space": "Ổ đĩa còn trống",
        "oldest_recording": "Video cũ nhất",
        "motion": "Chuyển động",
        "tamper": "Phá hoại",
        "connectivity": "Kết nối",
        "recording": "Ghi hình",
        "recording_mode": "Chế độ ghi hình",
    },
    "en": {
        "title": "Duty",
        "no_area": "No area",
        "alerts": "Open alerts",
        "recording_section": "Recording and storage",
        "status": "Status",
        "snapshots": "Recent motion snapshots",
        "clips": "Recorded video (media browser)",
        "open_alerts": "Open alerts",
        "recording_problem": "Recording problem",
        "storage_used": "Recordings",
        "free_space": "Free disk space",
        "oldest_recording": "Oldest recording",
        "motion": "Motion",
        "tamper": "Tamper",
        "connectivity": "Connection",
        "recording": "Recording",
        "recording_mode": "Recording mode",
    },
}


def language_of(language: str | None) -> str:
    """`vi` for any Vietnamese (`vi`, `vi-VN`), English for every other language."""
    return "vi" if (language or "").lower().startswith("vi") else "en"


def dashboard_text(language: str, key: str) -> str:
    """The dashboard's word `key` in `language` (`vi` or `en`)."""
    return _TEXT[language_of(language)][key]
