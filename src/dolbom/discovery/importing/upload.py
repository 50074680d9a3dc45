"""Receiving a signal file from the upload page: bounded while it arrives, and never left on disk.

Django's own temporary-file handler writes the upload under a name in FILE_UPLOAD_TEMP_DIR and has no size limit
but the web server's: a process killed during an import left the whole file, resident numbers in clear, in
`uploads/`, and any upload up to a gigabyte was written out before anything looked at it. This handler writes
into a file that has no name (core.files.ScratchFile), which the import then reads through its descriptor, and
stops the upload (`StopUpload`) as soon as the bytes received pass the limit of the file's format, which its name
gives; the page then answers 413 with the limit named. Requests larger than any file may be are refused before
the body is read at all (`too_large_request`), and `dolbom serve` gives waitress the same ceiling as its
`max_request_body_size`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload
from django.http import HttpRequest

from dolbom.core.files import ScratchFile
from dolbom.discovery.importing.limits import Limits
from dolbom.discovery.importing.readers import ReadError, file_format_of


@dataclass(frozen=True)
class Oversize:
    file_name: str
    file_format: str
    limit: int
    received: int


class ScratchUploadedFile(UploadedFile):
    """An uploaded file with no name on disk; `temporary_file_path` reopens it while it is open."""

    def __init__(self, scratch: ScratchFile, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(scratch.file, name, content_type, size, charset)
        self._scratch = scratch

    def temporary_file_path(self) -> str:
        return str(self._scratch.path)

    def close(self) -> None:
        self._scratch.close()


class SignalUploadHandler(FileUploadHandler):
    """Streams the one file of the upload form to a nameless private file, up to its format's size limit."""

    def __init__(self, request: HttpRequest | None = None, *, limits: Limits) -> None:
        super().__init__(request)
        self.limits = limits
        self.oversize: Oversize | None = None
        self.scratch: ScratchFile | None = None
        self.limit = 0
        self.file_format = ""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        try:
            self.file_format = file_format_of(file_name)
        except ReadError:
            self.file_format = ""  # refused by the import with the list of formats; no need to receive much of it
        self.limit = self.limits.max_bytes_for(self.file_format)
        self.scratch = ScratchFile(Path(settings.FILE_UPLOAD_TEMP_DIR))
        self.file = self.scratch.file  # Django closes `handler.file` when an upload stops
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        assert self.scratch is not None
        received = start + len(raw_data)
        if received > self.limit:
            self.oversize = Oversize(self.file_name or "", self.file_format, self.limit, received)
            self.scratch.close()
            raise StopUpload(connection_reset=False)
        self.scratch.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        assert self.scratch is not None
        self.scratch.file.flush()
        self.scratch.file.seek(0)
        return ScratchUploadedFile(self.scratch, self.file_name or "", self.content_type or "", file_size, self.charset)

    def upload_interrupted(self) -> None:
        if self.scratch is not None:
            self.scratch.close()


def too_large_request(request: HttpRequest, limits: Limits) -> bool:
    """Whether the request announces a body larger than any accepted file and its form: then it is not read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > limits.request_ceiling
