"""GraphQL types of the prediction API, and the translation of their inputs."""

import base64
import binascii
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, overload

import strawberry

from monolambda.domain.errors import BadUserInputError

if TYPE_CHECKING:  # only the converters' signatures: a non-predict cold start skips them
    from monolambda.domain.models import InputSpec, ModelInfo, ModelManifest, Prediction
    from monolambda.domain.uploads import UploadGrant

MODEL_DESCRIPTION = "A model in the registry; by default, the deployment's default model"


@strawberry.type(description="What a model expects of an image.")
class ModelInput:
    name: str
    layout: str = strawberry.field(description="NCHW, NHWC, or NC (one flat vector per image)")
    width: int
    height: int
    colour: str = strawberry.field(description="L (greyscale) or RGB")
    background: str = strawberry.field(description="light: dark ink on light paper is inverted")
    fit: str = strawberry.field(description="stretch, or ink: cropped to the ink and centred")

    @classmethod
    def of(cls, spec: "InputSpec") -> "ModelInput":
        return cls(
            name=spec.name,
            layout=spec.layout,
            width=spec.width,
            height=spec.height,
            colour=spec.colour,
            background=spec.background,
            fit=spec.fit,
        )


@strawberry.type(description="An image classifier in the registry.")
class Model:
    name: str
    current: str = strawberry.field(description="The version predictions use by default")
    versions: list[str]
    description: str
    labels: list[str] = strawberry.field(description="The current version's labels")
    input: ModelInput

    @classmethod
    def of(cls, info: "ModelInfo") -> "Model":
        manifest: ModelManifest = info.manifest
        return cls(
            name=info.name,
            current=info.current,
            versions=list(info.versions),
            description=manifest.description,
            labels=list(manifest.labels),
            input=ModelInput.of(manifest.input),
        )


@strawberry.type
class LabelScore:
    label: str
    score: float


@strawberry.type(description="Per image, in milliseconds (a batch's time shared out).")
class Timings:
    decode_ms: float
    inference_ms: float


@strawberry.type
class PredictionResult:
    model: str
    version: str
    labels: list[LabelScore] = strawberry.field(description="Best first")
    timings: Timings

    @classmethod
    def of(cls, prediction: "Prediction") -> "PredictionResult":
        return cls(
            model=prediction.model,
            version=prediction.version,
            labels=[LabelScore(label=r.label, score=r.score) for r in prediction.labels],
            timings=Timings(
                decode_ms=round(prediction.decode_ms, 3),
                inference_ms=round(prediction.inference_ms, 3),
            ),
        )


@strawberry.input(description="One image: base64 `image`, or the `s3Key` of your own upload.")
class PredictInput:
    model: str | None = strawberry.field(default=None, description=MODEL_DESCRIPTION)
    version: str | None = None
    image: str | None = strawberry.field(default=None, description="base64, or a data: URL")
    s3_key: str | None = None
    top_k: int = 3


@strawberry.input(description="Several images, classified in one batched inference.")
class PredictBatchInput:
    model: str | None = strawberry.field(default=None, description=MODEL_DESCRIPTION)
    version: str | None = None
    images: list[str] = strawberry.field(description="base64 each, or data: URLs")
    top_k: int = 3


@strawberry.type
class FormField:
    name: str
    value: str


@strawberry.enum(description="What an upload is for.")
class UploadPurpose(Enum):
    PREDICTION = "PREDICTION"
    JOB = "JOB"


@strawberry.type(description="POST the file as multipart/form-data to `url` with `fields` first.")
class Upload:
    url: str
    fields: list[FormField]
    key: str = strawberry.field(description="Pass as predict(input: {s3Key})")
    expires_in_seconds: int
    job_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Purpose JOB: the id of the job the file starts once stored "
        "(job(id) answers NOT_FOUND until then)",
    )

    @classmethod
    def of(cls, grant: "UploadGrant") -> "Upload":
        return cls(
            url=grant.form.url,
            fields=[FormField(name=name, value=value) for name, value in grant.form.fields],
            key=grant.key,
            expires_in_seconds=grant.expires_in_s,
            job_id=strawberry.ID(grant.job_id) if grant.job_id else None,
        )


class Base64Images(Sequence[bytes]):
    """A batch's images, each decoded when first read (and kept): the use case checks how
    many there are before it reads one, so an oversized batch is refused without decoding."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self._decoded: list[bytes | None] = [None] * len(texts)

    def __len__(self) -> int:
        return len(self._texts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = range(len(self._texts))[index]  # IndexError as a list raises it
        decoded = self._decoded[position]
        if decoded is None:
            decoded = decode_image(self._texts[position], f"images[{position}]")
            self._decoded[position] = decoded
        return decoded


def decode_image(text: str, which: str = "image") -> bytes:
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            raise BadUserInputError(f"{which}: a data: URL must be base64-encoded")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as e:
        raise BadUserInputError(f"{which} is not valid base64") from e
