"""Image preprocessing: every format, EXIF, colour modes, and every way an image can be bad."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from monolambda.adapters.images import PillowImages
from monolambda.domain.errors import BadUserInputError
from monolambda.domain.models import InputSpec
from tests.support.images import encode, solid

GREY = InputSpec(
    name="x",
    layout="NC",
    width=4,
    height=4,
    colour="L",
    background="any",
    fit="stretch",
    scale=1 / 255,
    mean=(0.0,),
    std=(1.0,),
)
RGB = InputSpec(
    name="x",
    layout="NCHW",
    width=6,
    height=4,
    colour="RGB",
    background="any",
    fit="stretch",
    scale=1 / 255,
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
)


def prepare(data: bytes, spec: InputSpec = GREY) -> np.ndarray:
    return np.asarray(PillowImages().prepare([data], spec).array)


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("PNG", {}), ("JPEG", {"quality": 95}), ("WEBP", {"lossless": True}), ("GIF", {})],
)
def test_every_format_decodes(fmt: str, options: dict[str, object]) -> None:
    array = prepare(encode(solid((255, 255, 255), (16, 16)), fmt, **options))
    assert array.shape == (1, 16)
    assert np.allclose(array, 1.0, atol=0.02)


def test_gif_first_frame_only() -> None:
    frames = [Image.new("P", (8, 8), 0), Image.new("P", (8, 8), 1)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert np.allclose(prepare(data), 0.0)


def test_layouts_and_normalisation() -> None:
    array = prepare(encode(solid((255, 0, 0), (12, 8))), RGB)
    assert array.shape == (1, 3, 4, 6)  # NCHW
    assert np.allclose(array[0, 0], 1.0)
    assert np.allclose(array[0, 1], -1.0)
    nhwc = dataclasses.replace(RGB, layout="NHWC")
    assert prepare(encode(solid((255, 0, 0), (12, 8))), nhwc).shape == (1, 4, 6, 3)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("L", (20, 10), 255)  # wide; EXIF says rotate 90 degrees: tall
    image.paste(0, (0, 0, 10, 10))  # left half black
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(image, "JPEG", exif=exif, quality=100)
    spec = dataclasses.replace(GREY, width=1, height=2, layout="NHWC")
    top, bottom = prepare(data, spec)[0, :, 0, 0]
    assert top < 0.2  # the black half is now on top
    assert bottom > 0.8


def test_light_background_is_inverted_and_transparency_is_paper() -> None:
    white = encode(solid((255, 255, 255), (8, 8)))
    assert np.allclose(prepare(white, dataclasses.replace(GREY, background="light")), 0.0)
    clear = encode(Image.new("RGBA", (8, 8), (0, 0, 0, 0)))
    assert np.allclose(prepare(clear), 1.0)  # a transparent canvas is white paper


def test_ink_is_centred() -> None:
    image = Image.new("L", (100, 100), 0)
    image.paste(255, (70, 70, 90, 90))  # a blob in a corner
    spec = dataclasses.replace(GREY, fit="ink")
    assert np.allclose(prepare(encode(image), spec), 1.0)  # cropped: the blob fills the frame


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a PNG, JPEG, WebP or GIF"),
        (b"hello, world", "not a PNG, JPEG, WebP or GIF"),
        (b"%PDF-1.7\n", "not a PNG, JPEG, WebP or GIF"),
        (encode(solid((1, 2, 3), (64, 64)), "BMP"), "not a PNG, JPEG, WebP or GIF"),
        (encode(solid((1, 2, 3), (64, 64)))[:-40], "truncated or corrupt"),
        (encode(solid((1, 2, 3), (64, 64)), "JPEG")[:200], "truncated or corrupt"),
    ],
)
def test_bad_images_are_bad_user_input(data: bytes, message: str) -> None:
    with pytest.raises(BadUserInputError, match=message):
        prepare(data)


def test_decompression_bombs_are_refused_before_decoding() -> None:
    bomb = encode(Image.new("1", (6000, 6000), 0))  # 36 Mpx in a few kB
    assert len(bomb) < 20_000
    with pytest.raises(BadUserInputError, match="6000x6000: more than 25000000 pixels"):
        prepare(bomb)


def test_which_image_of_a_batch_is_named() -> None:
    good = encode(solid((0, 0, 0), (8, 8)))
    with pytest.raises(BadUserInputError, match="image 3 is not"):
        PillowImages().prepare([good, good, b"nope"], GREY)


def test_a_webp_has_a_lower_pixel_limit() -> None:
    # Its decoder holds three full-size buffers: 6 megapixels cost what 25 do in PNG.
    ok = encode(Image.new("RGB", (3000, 2000), (255, 255, 255)), "WEBP")
    assert PillowImages().measure(ok, "the image") == (3000, 2000)
    over = encode(Image.new("RGB", (3000, 2001), (255, 255, 255)), "WEBP")
    with pytest.raises(BadUserInputError, match="more than 6000000 pixels \\(for a WebP image\\)"):
        PillowImages().measure(over, "the image")
    png = encode(Image.new("L", (3000, 2001), 255), "PNG")
    assert PillowImages().measure(png, "the image") == (3000, 2001)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "1", "I;16", "L", "RGB"])
def test_large_images_of_every_mode_are_shrunk_alike(mode: str) -> None:
    # A white page with a black band, transparent around it for the modes that can be: the
    # strip-wise path (alpha, palette, bilevel, 16-bit) and Image.reduce agree.
    base = Image.new("RGBA", (3000, 2000), (255, 255, 255, 0))
    base.paste((0, 0, 0, 255), (1000, 0, 2000, 2000))  # the middle third, top to bottom
    if mode in ("RGBA", "LA"):
        image = base.convert(mode)
    else:
        flat = Image.alpha_composite(Image.new("RGBA", base.size, "white"), base).convert("L")
        image = flat.convert(mode) if mode != "I;16" else flat.convert("I").convert("I;16")
    spec = dataclasses.replace(GREY, width=3, height=2, layout="NHWC")
    pixels = prepare(encode(image, "PNG"), spec)[0, :, :, 0]
    assert pixels[:, 1].max() < 0.1  # the black band, in the middle
    assert pixels[:, [0, 2]].min() > 0.9  # white paper (or transparency made paper) around
