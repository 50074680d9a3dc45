"""Text a user reads goes through gettext: English msgids in the code, the Korean in django.po (docs/architecture.md).
Checked on the source: a string literal holding Hangul outside a docstring is Korean text that bypasses the
catalogue, unless it is one of the data listed below. The synthetic city (names, addresses), the lab's offline
reports and the migrations are not scanned."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dolbom"
HANGUL = re.compile("[\uac00-\ud7a3\u3131-\u318e]")
NOT_SCANNED = ("synth/", "lab/")

# Modules whose Korean literals are all data: they write the reasons a round stores for each listed household, in
# SQL and in Python, from the Korean labels of the signal catalogue and the scorecard (see the comment above
# `sql.won_sql`); the words around the values belong to those labels, not to the interface.
DATA_MODULES = {
    "discovery/screening/sql.py",
    "discovery/learning/features.py",
}
# Single literals that are data or patterns, not messages.
DATA_LITERALS = {
    # The Python twin of the SQL reasons (the reference the SQL is tested against).
    "discovery/screening/scorecard.py": {"원", "만원", "억 ", "억원", "점)"},
    # Patterns over what officers type and addresses hold (a name beside a number, road names, unit numbers).
    "registry/selectors.py": {
        "^[가-힣]{2,5}$",
        "로",
        "길",
        "아파트",
        "빌라",
        # Units, 통/반 and dongs as addresses write them ("104동 1002호", "새솔1동 3통"), and a name typed with a space.
        "^[가-힣]{1,2} [가-힣]{1,4}$",
        r"(?<!\w)(?:(\d{1,4})\s*동\s*)?(\d{1,5})\s*호(?!\w)",
        r"(?<!\w)(\d{1,3})\s*통(?:\s*(\d{1,3})\s*반)?(?!\w)",
        "동",
        "동 ",
        "읍",
        "면",
        "호",
        # What the audit log keeps of a search: stored records keep one wording whatever the request's language.
        "주민등록번호(전체)",
        "전화번호 ****",
        "카드번호",
        "주민등록번호(형식 오류)",
    },
    # The dashes a resident number is typed with, among them the Hangul letter a Korean keyboard gives for "-".
    "core/rrn.py": {"[\u2010-\u2015\u2212\ufe63\uff0d\u3161\u1173\\-]"},
    "core/masking.py": {r"\d+호", "***호"},
    # Dates as officers type them: 2026년 11월 30일.
    "core/dates.py": {r"^\s*(\d{4})\s*[-./년\s]\s*(\d{1,2})\s*[-./월\s]\s*(\d{1,2})\s*[.일]?\s*$"},
    # Labels put in log lines (some before translations are ready) and audit records, found by a search as is.
    "core/numbers.py": {"[주민등록번호 삭제됨]", "[전화번호 삭제됨]", "[카드번호 삭제됨]"},
    # An amount as officers type it: 1,500,000원.
    "core/money.py": {r"[\s,원]"},
    "resources/views/forms.py": {r"[\s,원]"},
    # A district's name as the registry keeps it: a 군 is a rural area for the emergency-support property limit.
    "eligibility/selectors.py": {"군"},
    # A language's own name in the language list, as language pickers show it.
    "settings.py": {"한국어"},
}


def _modules() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if not p.relative_to(SRC).as_posix().startswith(NOT_SCANNED) and "migrations" not in p.parts
    )


def _korean_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant with Hangul in it that is not a docstring; f-strings count by part."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and HANGUL.search(node.value)
    )


def test_no_korean_text_outside_the_catalogue():
    found = []
    for path in _modules():
        name = path.relative_to(SRC).as_posix()
        if name in DATA_MODULES:
            continue
        allowed = DATA_LITERALS.get(name, set())
        found += [f"{name}:{line}: {text!r}" for line, text in _korean_literals(path) if text not in allowed]
    assert not found, (
        "Korean text in the code: write an English msgid in gettext()/gettext_lazy() (pgettext where a word has "
        "two meanings) and its Korean in src/dolbom/locale/ko/LC_MESSAGES/django.po, then `make messages`; "
        "data that is not a message goes in the lists of this test, with the reason:\n  " + "\n  ".join(found)
    )


@pytest.mark.parametrize("name", sorted(DATA_LITERALS))
def test_every_allowed_literal_is_still_there(name):
    """The lists name only what the code holds: an allowance outliving its literal would let text back in."""
    present = {text for _, text in _korean_literals(SRC / name)}
    assert DATA_LITERALS[name] <= present, f"{name}: no longer holds {sorted(DATA_LITERALS[name] - present)}"


def test_data_modules_exist():
    assert all((SRC / name).is_file() for name in DATA_MODULES)


def test_templates_hold_no_korean_text():
    templates = [p for p in SRC.rglob("templates/**/*.html") if not p.relative_to(SRC).as_posix().startswith("synth/")]
    assert templates
    found = [
        f"{p.relative_to(SRC)}:{number}"
        for p in templates
        for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if HANGUL.search(line)
    ]
    assert not found, "Korean text in templates: use {% translate %} with an English msgid:\n  " + "\n  ".join(found)
