"""Free text typed by users: what is visible of it. A reason made only of zero-width or control characters looks
empty on screen and in the audit log, so it must count as empty."""

from __future__ import annotations

import unicodedata

# Format (zero-width spaces and joiners, bidi marks), control, unassigned and private-use characters show nothing.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cn", "Co", "Cs"})
# Letters by category that print as blanks: the Hangul fillers and the blank Braille pattern.
BLANK_LETTERS = frozenset(chr(code) for code in (0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800))


def visible_text(text: str) -> str:
    """The text without invisible characters, runs of white space made one space, stripped."""
    kept = "".join(
        " " if ch.isspace() or ch in BLANK_LETTERS else ch
        for ch in unicodedata.normalize("NFC", text or "")
        if ch.isspace() or unicodedata.category(ch) not in INVISIBLE_CATEGORIES
    )
    return " ".join(kept.split())


def visible_length(text: str) -> int:
    """How many letters and digits a reader sees: spaces and punctuation ("....") do not make a reason."""
    return sum(1 for ch in visible_text(text) if ch.isalnum())
