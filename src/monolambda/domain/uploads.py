"""Uploads straight from a browser to storage, under the caller's own prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UploadForm:
    """A presigned multipart POST: the browser sends `fields` first, then the file."""

    url: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class UploadGrant:
    key: str
    form: UploadForm
    expires_in_s: int
