import logging

from dolbom.core.logging import RedactResidentNumbers


def _logged(caplog, *calls) -> str:
    logger = logging.getLogger("dolbom.test")
    redact = RedactResidentNumbers()
    logger.addFilter(redact)
    try:
        with caplog.at_level(logging.INFO, logger="dolbom.test"):
            for call in calls:
                call(logger)
    finally:
        logger.removeFilter(redact)
    return caplog.text


def test_resident_numbers_never_reach_a_log_line(caplog):
    text = _logged(
        caplog,
        lambda log: log.info("lookup for %s failed", "800101-1234567"),
        lambda log: log.info("bare 8001011234567 and a date 20260101 and a period 2026-09"),
    )
    assert "1234567" not in text
    assert "20260101" in text and "2026-09" in text


def test_every_way_of_typing_a_number_is_caught(caplog):
    typed = [
        "451005－2170836",
        "451005–2170836",
        "451005.2170836",
        "451005 2170836",
        "４５１００５－２１７０８３６",
        "451005\u200b-2170836",
        "홍길동451005-2170836",
    ]
    text = _logged(caplog, *[lambda log, t=t: log.info("search %s", t) for t in typed])
    assert "2170836" not in text and "２１７０８３６" not in text
    assert text.count("[주민등록번호 삭제됨]") == len(typed)


def test_phone_and_card_numbers_are_caught_too(caplog):
    text = _logged(
        caplog,
        lambda log: log.warning("call %s or %s", "010-2579-6218", "010.2579.6218"),
        lambda log: log.warning("card 4111 1111 1111 1111 charged"),
    )
    assert "2579" not in text and "6218" not in text and "4111 1111" not in text
    assert "[전화번호 삭제됨]" in text and "[카드번호 삭제됨]" in text


def test_numbers_in_exception_text_are_caught(caplog):
    def fail(log):
        try:
            raise ValueError("no person with 800101－1234567")
        except ValueError:
            log.exception("import failed")

    assert "1234567" not in _logged(caplog, fail)
