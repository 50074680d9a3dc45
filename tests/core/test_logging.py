import logging

from dolbom.core.logging import RedactResidentNumbers


def test_resident_numbers_never_reach_a_log_line(caplog):
    logger = logging.getLogger("dolbom.test")
    logger.addFilter(RedactResidentNumbers())
    with caplog.at_level(logging.INFO, logger="dolbom.test"):
        logger.info("lookup for %s failed", "800101-1234567")
        logger.info("bare 8001011234567 and a phone 010-1234-5678 and a date 20260101")
    text = caplog.text
    assert "1234567" not in text
    assert "010-1234-5678" in text and "20260101" in text
