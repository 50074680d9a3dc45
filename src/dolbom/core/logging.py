"""A logging filter that keeps resident numbers out of every log line, whatever code wrote them."""

from __future__ import annotations

import logging

from dolbom.core.rrn import RRN_LIKE


class RedactResidentNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if RRN_LIKE.search(message):
            record.msg = RRN_LIKE.sub("[주민등록번호 삭제됨]", message)
            record.args = None
        return True
