"""What people type, and what is said back to them: typed text cleaned of invisible controls,
echoed input clipped, the one message for an unexpected failure. Used by the command line and the web app."""
from __future__ import annotations

import re

# How much of what a user typed is repeated back in an error message.
ECHO_CHARS = 30
INTERNAL_ERROR = "服务器内部错误，请稍后重试。"

# Bidirectional controls (they can reverse how a question is displayed) and other invisible format characters.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u200b\ufeff]")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str | None) -> str:
    """What the user typed, with bidi/format controls and control characters removed, trimmed."""
    return CONTROL_CHARS.sub("", BIDI_CONTROLS.sub("", text or "")).strip()


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` cut to `limit` characters (with …), for repeating user input back safely."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"

