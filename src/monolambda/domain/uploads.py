"""Uploads straight from a browser to storage, under the caller's own prefix.

An upload is for a prediction (`uploads/{owner}/{id}`) or starts a job of its own
(`uploads/{owner}/jobs/{model}/{id}`): storage tells the function of the new object, and the
owner and model are read back from the key, which the presigned POST allowed exactly.
"""

import uuid
from enum import StrEnum
from typing import NamedTuple

from monolambda.domain.names import MODEL_NAME


class UploadPurpose(StrEnum):
    PREDICTION = "PREDICTION"
    JOB = "JOB"


class UploadForm(NamedTuple):
    """A presigned multipart POST: the browser sends `fields` first, then the file."""

    url: str
    fields: tuple[tuple[str, str], ...]


class UploadGrant(NamedTuple):
    key: str
    form: UploadForm
    expires_in_s: int
    # For a job upload: the id the job will have once the file has arrived.
    job_id: str | None = None


class JobUpload(NamedTuple):
    """An object under the job-upload layout: whose, for which model."""

    key: str
    owner: str
    model: str

    @property
    def job_id(self) -> str:
        return upload_job_id(self.owner, self.key)


def uploads_prefix(owner: str) -> str:
    return f"uploads/{owner}/"


def job_upload_key(owner: str, model: str) -> str:
    return f"{uploads_prefix(owner)}jobs/{model}/{uuid.uuid4()}"


def job_upload(key: str) -> JobUpload | None:
    """The job an object's key asks for; None for any key outside the layout."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "uploads" or parts[2] != "jobs":  # noqa: PLR2004 - the layout
        return None
    _, owner, _, model, upload_id = parts
    if not owner or not MODEL_NAME.match(model) or not _is_uuid(upload_id):
        return None
    return JobUpload(key=key, owner=owner, model=model)


# A job started by an upload has an id derived from its key: S3's duplicate notifications
# of one object land on the same item, and a conditional write refuses all but the first.
# (Another namespace than idempotency keys', so the two can never meet.)
_UPLOAD_JOB_IDS = uuid.UUID("0b6c43d0-6f5e-4d8c-93a1-4a3e2f1c7d55")


def upload_job_id(owner: str, key: str) -> str:
    return str(uuid.uuid5(_UPLOAD_JOB_IDS, f"{owner}\n{key}"))


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
