"""Numbers that identify a person — resident registration, phone and card numbers — found in free text, however
they were typed: full-width digits, any of Unicode's dashes, dots, spaces, zero-width characters in between.

This is the one place that decides what such a number looks like. Household search classifies what an officer
typed with it, the audit log and the log filter use it to keep numbers out of anything written down. Finding too
much is harmless (a log line shows a placeholder); finding too little puts a number in clear in an append-only
log, so the rules lean towards finding.

Text is read as runs of digits joined by separator characters (dash, space, dot, middle dot, slash,
parentheses..., however many), and by a few other characters (up to four: punctuation or non-ASCII, never an
ASCII letter): people put whatever is at hand between the groups — ㅡ for a dash, a comma, "번", a word. Inside a
run, any whole groups whose digits form
- a resident number: 13 digits, or a 13-digit window whose birth date and seventh digit are valid (so a number
  glued to other digits is still found),
- a Korean phone number: the prefixes of mobile, Seoul, regional and internet telephony, with or without +82,
- a card number: 13 to 19 digits with a valid Luhn check digit, or four groups of four digits,
is reported with its span in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from dolbom.core.masking import mask_phone, mask_rrn

RRN, PHONE, CARD = "rrn", "phone", "card"

# Unicode's dash punctuation (category Pd: U+2010–2015, U+FE58, U+FE63, U+FF0D, ...) and the dash look-alikes of
# other categories that people and word processors put between digit groups.
_DASH_LOOKALIKES = frozenset("\u2212\u2043\u02d7\u207b\u208b\u2053~\uff5e\u30fc\u2e3a\u2e3b")
# Between digit groups; after NFKC and the mapping below every dash is "-" and every space " ".
_SEPARATORS = frozenset("- .·・‧。/_()")
_MAX_DIGITS = 19  # the longest card number
# Other characters that may stand between two groups of one number ("430603ㅡ1221815", "010번3257번4143",
# "430603 다음 1221815"); more than this, or a line break, and the digits belong to different things.
_MAX_GAP = 4
# ASCII punctuation that may stand in a gap. ASCII letters may not: hex digests and codes ("a1b2c3…", "KTOA-0012")
# mix letters and digits, and joining their digits would find numbers in every hash of a log line; nor may the colon,
# which would join a timestamp's fields ("2026-11-23 10:15:30.123456") into a number.
_GAP_ASCII = frozenset("+*,;=#|\\'\"&%$@!?^`<>[]{}")

_PHONE = re.compile(
    r"(?:0|82)(?:2\d{7,8}|1[016789]\d{7,8}|[3-6][1-5]\d{7,8}|70\d{7,8}|80\d{7,8}|50\d{8,9})",
)

# seventh digit → century, as in core.rrn (every digit is in use).
_CENTURY = dict.fromkeys("90", 1800) | dict.fromkeys("1256", 1900) | dict.fromkeys("3478", 2000)

# Characters that are no decimal digit but become digits under NFKC (², ½, ⑳, ㉑, ㎡...), generated from the
# Unicode database: a text holding none of them and fewer than nine decimal digits can hold no number at all,
# which spares the character-by-character reading of most log lines.
_DIGIT = re.compile(r"\d")
_BECOME_DIGITS = re.compile(
    "[\u00b2\u00b3\u00b9\u00bc-\u00be\u2070\u2074-\u2079\u2080-\u2089\u2150-\u215f\u2189\u2460-\u249b"
    "\u24ea\u3251-\u325f\u32b1-\u32cb\u3358-\u3370\u3378\u3379\u339f-\u33a6\u33a8\u33af\u33e0-\u33fe"
    "\U0001f100-\U0001f10a]"
)
_FEWEST_DIGITS = 9  # 02-123-4567

# Not msgids: the labels go into log lines (written before the translation machinery is ready, and from any
# thread) and audit records, which keep one wording, so that a search of the logs finds them.
_LABELS = {RRN: "[주민등록번호 삭제됨]", PHONE: "[전화번호 삭제됨]", CARD: "[카드번호 삭제됨]"}


@dataclass(frozen=True)
class Found:
    kind: str  # rrn, phone or card
    start: int  # span in the original text
    end: int
    digits: str  # ASCII digits, separators removed
    valid: bool = True  # for rrn: the birth date and seventh digit make sense

    @property
    def masked(self) -> str:
        """How the number may be shown or kept: 800101-1******, 010-****-5678, ****-****-****-1234."""
        if self.kind == RRN:
            return mask_rrn(self.digits)
        if self.kind == PHONE:
            digits = "0" + self.digits[2:] if self.digits.startswith("82") else self.digits
            return mask_phone(digits)
        return "****-" * 3 + self.digits[-4:]


def _is_dash(ch: str) -> bool:
    return ch in _DASH_LOOKALIKES or unicodedata.category(ch) == "Pd"


def _map_char(ch: str) -> str:
    """One character, already NFKC: dashes become "-", spaces " ", decimal digits of any script ASCII digits, and
    invisible format characters (zero-width space, soft hyphen, direction marks) vanish."""
    if ch.isascii():
        return "-" if ch == "~" else (" " if ch.isspace() else ch)
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    if ch.isspace():
        return " "
    if _is_dash(ch):
        return "-"
    if unicodedata.category(ch) == "Cf":
        return ""
    return ch


def normalise(text: str) -> str:
    """What a person meant to type: NFKC (full-width digits and letters, ideographic space), one kind of dash,
    no invisible characters, single spaces."""
    folded = unicodedata.normalize("NFKC", text or "")
    mapped = folded if folded.isascii() and "~" not in folded else "".join(_map_char(ch) for ch in folded)
    return " ".join(mapped.split())


def _characters(text: str) -> Iterator[tuple[str, int]]:
    """(normalised character, index in the original text), character by character so that spans map back."""
    for index, ch in enumerate(text):
        if ch.isascii():
            yield _map_char(ch), index
            continue
        for part in unicodedata.normalize("NFKC", ch):
            mapped = _map_char(part)
            if mapped:
                yield mapped, index


@dataclass
class _Run:
    digits: list[str]
    positions: list[int]  # original index of each digit
    group_starts: list[int]  # index into digits where each group (digits with no separator between) begins


def _runs(text: str) -> Iterator[_Run]:
    """Digits joined by separators, however many ("800101 -  1234567", "010. 2579 .6218"), or by up to _MAX_GAP
    other characters ("430603ㅡ1221815", "010,3257,4143"): a longer gap, or an ASCII letter, ends the run."""
    run: _Run | None = None
    separated = False
    gap = 0
    for ch, index in _characters(text):
        if "0" <= ch <= "9":
            if run is None:
                run = _Run([], [], [0])
            elif separated:
                run.group_starts.append(len(run.digits))
            run.digits.append(ch)
            run.positions.append(index)
            separated, gap = False, 0
        elif ch in _SEPARATORS:
            separated = run is not None
        elif run is not None and gap < _MAX_GAP and (ch in _GAP_ASCII or not ch.isascii()):
            separated, gap = True, gap + 1
        elif run is not None:
            yield run
            run, separated, gap = None, False, 0
    if run is not None:
        yield run


def _valid_rrn(digits: str) -> bool:
    mm, dd = int(digits[2:4]), int(digits[4:6])
    if not (1 <= mm <= 12 and 1 <= dd <= 31):
        return False
    try:
        date(_CENTURY[digits[6]] + int(digits[:2]), mm, dd)
    except ValueError:
        return False
    return True


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


# Which finding wins where two overlap: a valid resident number typed as one (13 digits, or split after the
# birth date), then a phone number, then a card number, then a valid resident number split elsewhere or glued to
# other digits, then 13 digits that only have the shape of a resident number. "010-1234-5678 12" is a phone number
# and "4111 1111 1111 1111" a card, although both hold 13 digits that could be a resident number.
_STRONG_RRN, _PHONE_RANK, _CARD_RANK, _WEAK_RRN, _SHAPE_ONLY = range(5)


def _candidates(run: _Run) -> Iterator[tuple[int, int, int, str, bool]]:
    """(rank, first digit, end digit, kind, valid) for every number the run holds."""
    digits = "".join(run.digits)
    bounds = [*run.group_starts, len(digits)]
    boundaries = set(bounds)
    for i, first in enumerate(bounds[:-1]):
        for j in range(i + 1, len(bounds)):
            end = bounds[j]
            n = end - first
            if n > _MAX_DIGITS:
                break
            chunk = digits[first:end]
            if n == 13:
                if not _valid_rrn(chunk):
                    yield _SHAPE_ONLY, first, end, RRN, False
                elif j == i + 1 or first + 6 in boundaries:
                    yield _STRONG_RRN, first, end, RRN, True
            if 9 <= n <= 13 and _PHONE.fullmatch(chunk):
                yield _PHONE_RANK, first, end, PHONE, True
            if n >= 13 and (_luhn(chunk) or (j - i == 4 and n == 16)):
                yield _CARD_RANK, first, end, CARD, True
    # A resident number split in an odd place, or glued to other digits ("7" + "8001011234567"), has no group
    # boundary to start from: look at every 13-digit window.
    for first in range(len(digits) - 12):
        if _valid_rrn(digits[first : first + 13]):
            yield _WEAK_RRN, first, first + 13, RRN, True


def find_numbers(text: str) -> list[Found]:
    """Every resident, phone and card number in the text, in order, without overlaps."""
    found: list[Found] = []
    text = text or ""
    if len(_DIGIT.findall(text)) < _FEWEST_DIGITS and not _BECOME_DIGITS.search(text):
        return found
    for run in _runs(text):
        if len(run.digits) < _FEWEST_DIGITS:
            continue
        taken = [False] * len(run.digits)
        for _rank, first, end, kind, valid in sorted(_candidates(run), key=lambda c: (c[0], c[1], -c[2])):
            if any(taken[first:end]):
                continue
            taken[first:end] = [True] * (end - first)
            found.append(
                Found(kind, run.positions[first], run.positions[end - 1] + 1, "".join(run.digits[first:end]), valid)
            )
    return sorted(found, key=lambda f: f.start)


def contains_number(text: str) -> bool:
    return bool(find_numbers(text))


def redact(text: str, *, masked: bool = False) -> str:
    """The text with every number replaced: by a label such as [주민등록번호 삭제됨], or by its masked form."""
    found = find_numbers(text)
    if not found:
        return text
    parts, last = [], 0
    for f in found:
        parts += [text[last : f.start], f.masked if masked else _LABELS[f.kind]]
        last = f.end
    parts.append(text[last:])
    return "".join(parts)
