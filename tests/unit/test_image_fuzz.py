"""External finding: a WebP whose EXIF header was corrupt answered INTERNAL. Every failure to
read an image must be BAD_USER_INPUT: valid PNG, JPEG, WebP and GIF files, mutated the ways
files get damaged, go through the schema's predict with the real Pillow adapter."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

import pytest
from PIL import Image

from monolambda.adapters.images import PillowImages
from monolambda.domain.identity import Caller
from tests.support.fakes import prediction_service
from tests.support.images import encode
from tests.support.schema import execute, make_schema, make_services

MUTATIONS_PER_FILE = 150
PREDICT = "query($i: PredictInput!) { predict(input: $i) { labels { label } } }"


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    exif[0x010F] = "monolambda"  # make
    return exif


def _originals() -> dict[str, bytes]:
    picture = Image.radial_gradient("L").resize((48, 32)).convert("RGB")
    frames = [Image.new("P", (24, 24), i) for i in range(3)]
    return {
        "png": encode(picture, "PNG"),
        "png-rgba": encode(picture.convert("RGBA"), "PNG"),
        "jpeg-exif": encode(picture, "JPEG", exif=_exif(), quality=90),
        "jpeg-progressive": encode(picture, "JPEG", progressive=True),
        "webp-exif": encode(picture, "WEBP", exif=_exif()),
        "webp-lossless": encode(picture, "WEBP", lossless=True),
        "gif-animated": encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
    }


Mutation = Callable[[random.Random, bytearray], None]


def _flip_bits(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)


def _overwrite(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(len(data))
    data[start : start + rng.randint(1, 16)] = bytes(rng.randrange(256) for _ in range(16))


def _interesting_values(rng: random.Random, data: bytearray) -> None:
    # Lengths, counts and offsets set to the values that break parsers.
    value = rng.choice([b"\x00\x00", b"\xff\xff", b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00"])
    start = rng.randrange(len(data))
    data[start : start + len(value)] = value


def _truncate(rng: random.Random, data: bytearray) -> None:
    del data[rng.randrange(1, len(data)) :]


def _duplicate(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(len(data))
    data[start:start] = data[start : start + rng.randint(1, 64)]


def _corrupt_exif(rng: random.Random, data: bytearray) -> None:
    # The finding itself: damage inside the EXIF block (or anywhere, when there is none).
    at = max(data.find(b"Exif"), data.find(b"EXIF"))  # JPEG's APP1 marker, WebP's chunk
    start = at + rng.randint(4, 24) if at >= 0 else rng.randrange(len(data))
    data[start : start + 4] = bytes(rng.randrange(256) for _ in range(4))


MUTATIONS: list[Mutation] = [
    _flip_bits,
    _overwrite,
    _interesting_values,
    _truncate,
    _duplicate,
    _corrupt_exif,
]


def _mutants(name: str, original: bytes) -> list[bytes]:
    rng = random.Random(f"monolambda-{name}")  # the same cases on every run
    found = []
    for _ in range(MUTATIONS_PER_FILE):
        data = bytearray(original)
        for mutation in rng.sample(MUTATIONS, rng.randint(1, 2)):
            mutation(rng, data)
        found.append(bytes(data))
    return found


@pytest.fixture(scope="module")
def predict() -> Callable[[bytes], set[str]]:
    services = make_services(predictions=prediction_service(images=PillowImages()))
    schema = make_schema()

    def run(data: bytes) -> set[str]:
        result = execute(
            schema,
            PREDICT,
            variables={"i": {"image": base64.b64encode(data).decode()}},
            caller=Caller(sub="fuzz"),
            services=services,
        )
        return {e.extensions["code"] for e in result.errors or ()}

    return run


def test_a_corrupt_webp_exif_header_is_bad_user_input(predict: Callable[[bytes], set[str]]) -> None:
    picture = Image.new("RGB", (16, 16), (255, 0, 0))
    for exif in (b"garbage-exif", b"MM\x00*\x00\x00\x00\x08\x00\x05"):
        assert predict(encode(picture, "WEBP", exif=exif)) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize("name", sorted(_originals()))
def test_mutated_images_are_never_internal(name: str, predict: Callable[[bytes], set[str]]) -> None:
    original = _originals()[name]
    assert predict(original) == set()  # the unmutated file is a good image
    outcomes: dict[frozenset[str], int] = {}
    for data in _mutants(name, original):
        codes = frozenset(predict(data))
        outcomes[codes] = outcomes.get(codes, 0) + 1
    assert set(outcomes) <= {frozenset(), frozenset({"BAD_USER_INPUT"})}, outcomes
    assert outcomes.get(frozenset({"BAD_USER_INPUT"}), 0) > 0  # the mutations did damage
