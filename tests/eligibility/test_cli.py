"""`dolbom eligibility lines` and `check` as an operator runs them: the published table, the JSON answer per benefit,
the boundaries, and a sentence (never a traceback) for a year without rules."""

from __future__ import annotations

import json

import pytest

from dolbom.cli import main


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eligibility", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_lines_prints_the_published_table(capsys):
    code, out, _err = _run(capsys, "lines", "--year", "2026")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()[:1].isdigit()}
    assert rows["3"][1:7] == ["5,359,036", "1,714,892", "2,143,614", "2,572,337", "2,679,518", "2,679,518"]
    assert rows["1"][1:3] == ["2,564,238", "820,556"]
    # 7 persons: from secondary sources only, and marked so.
    assert rows["7"][1] == "9,515,150*"
    assert "* 2차 자료만 있음" in out
    assert "8" not in rows


def test_lines_beyond_the_table(capsys):
    code, out, _err = _run(capsys, "lines", "--year", "2025", "--up-to", "9")
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()[:1].isdigit()}
    assert code == 0 and rows["8"][1] == "9,912,051*" and rows["9"][1] == "10,835,674*"


def test_check_as_json(capsys):
    args = ["check", "--year", "2026", "--household-size", "3", "--recognised-income", "1234567", "--json"]
    code, out, err = _run(capsys, *args)
    assert code == 0
    answer = json.loads(out)
    assert list(answer) == ["livelihood", "medical", "housing", "education", "near_poor"]
    assert answer["livelihood"] == {"line": 1714892, "eligible": True, "verified": True}
    assert answer["near_poor"]["line"] == 2679518
    assert "2026.1" in err


@pytest.mark.parametrize(
    ("income", "livelihood", "medical"), [(1714892, True, True), (1714893, False, True), (2143615, False, False)]
)
def test_check_at_the_line_and_one_won_over(capsys, income, livelihood, medical):
    args = ["check", "--year", "2026", "--household-size", "3", "--recognised-income", str(income), "--json"]
    _code, out, _err = _run(capsys, *args)
    answer = json.loads(out)
    assert (answer["livelihood"]["eligible"], answer["medical"]["eligible"]) == (livelihood, medical)


def test_check_in_words(capsys):
    code, out, _err = _run(capsys, "check", "--year", "2025", "--household-size", "1", "--recognised-income", "765445")
    assert code == 0
    assert "765,444" in out and "1,196,007" in out


def test_a_year_without_rules_is_a_sentence(capsys):
    with pytest.raises(SystemExit) as ended:
        _run(capsys, "lines", "--year", "2019")
    _out, err = capsys.readouterr()
    assert ended.value.code == 2
    assert "2019" in err and "2025" in err and "2026" in err and "Traceback" not in err


def test_a_household_of_nobody_is_refused(capsys):
    code, _out, err = _run(capsys, "check", "--year", "2026", "--household-size", "0", "--recognised-income", "1")
    assert code == 2 and err
