"""Model fields that hold encrypted values (core.crypto) and the lookup hashes computed from them.

They are plain binary and character columns; the field classes only say what they hold, so that the key rotation
(core.rekey) and the key checks find every such column of every domain through the apps registry, without core
importing any domain and without a list to keep up to date by hand. A new column holding an encrypted identifier
must use `EncryptedField` (and `LookupHashField` for its hash), or `dolbom keys rotate` would never re-encrypt it.

Both deconstruct as the Django field they extend, so that declaring them changes no migration (the migration
state rebuilds them without their arguments, which is why those have defaults; only the live models use them).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class EncryptedField(models.BinaryField):
    """A `core.crypto.encrypt` ciphertext; `context` is the associated data it was encrypted with."""

    def __init__(self, *args: Any, context: bytes = b"", **kwargs: Any) -> None:
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.BinaryField", args, kwargs


class LookupHashField(models.CharField):
    """The keyed hash (core.crypto.keyed_hash) of `prefix` + the clear text of the `EncryptedField` named `of` of
    the same row: what an exact lookup compares, and what a rotation of the lookup key rewrites."""

    def __init__(self, *args: Any, of: str = "", prefix: str = "", **kwargs: Any) -> None:
        self.of = of
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
