"""A logging filter that keeps resident, phone and card numbers out of every log line, whatever code wrote them and
however the number was typed (full-width digits, any dash, dots, spaces: see core.numbers)."""

from __future__ import annotations

import logging

from dolbom.core.numbers import redact

_formatter = logging.Formatter()


class RedactResidentNumbers(logging.Filter):
    """Attached to the handlers (settings.LOGGING), so it sees every record that reaches a log, including those of
    Django and of libraries, and the text of exceptions, whose messages may quote the offending value."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: format the traceback once, here, and clean it.
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
