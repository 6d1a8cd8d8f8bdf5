"""Product image files -> the CNN's input pixels, with Pillow and numpy (no torchvision).

:func:`load_image` opens one file and returns uint8 ``[224, 224, 3]`` RGB:

1. open with Pillow (any format it reads: JPEG, PNG, WebP, GIF's first frame, ...);
   a JPEG is decoded at a reduced scale (``draft``) when it is at least twice
   the target size, which makes large photos several times cheaper to read;
2. apply the EXIF orientation (phone photos);
3. convert to RGB: transparent pixels (RGBA, LA, palette with transparency)
   are composited on white, the usual background of product pictures (a plain
   ``convert("RGB")`` would show them as whatever colour they hide, often
   black); L, P, CMYK, YCbCr... convert directly;
4. resize the centred square crop (side = the shorter side) to 224 x 224,
   bicubic: the same pixels as "shorter side to 224, then centre-crop 224".

Normalisation (ImageNet mean/std) is done by the encoder, on its device.

A file that cannot be used raises :class:`UnreadableImage` with a short
reason: absent, empty, not an image, truncated or damaged, or larger than
Pillow's decompression-bomb guard (``PIL.Image.MAX_IMAGE_PIXELS``, about 89
million pixels; this loader refuses from there, where Pillow itself only warns
until twice that).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

IMAGE_SIZE = 224
"""Side of the square input, in pixels."""

BACKGROUND = (255, 255, 255)
"""Colour that transparent pixels are composited on."""

REASON_CHARS = 160
"""Reasons are cut to this length (Pillow's messages repeat the path)."""


class UnreadableImage(Exception):
    """An image file that cannot be used; ``str(exc)`` is the short reason.

    Attributes:
        absent: the file does not exist (or is not a file), as opposed to a
            file that exists but cannot be decoded.
    """

    def __init__(self, reason: str, absent: bool = False) -> None:
        super().__init__(reason)
        self.absent = absent


def load_image(path: str | os.PathLike[str], size: int = IMAGE_SIZE) -> np.ndarray:
    """Read ``path`` -> uint8 ``[size, size, 3]`` RGB (see the module docstring).

    Raises:
        UnreadableImage: absent, empty, not an image, truncated, too large.
    """
    from PIL import Image

    try:
        if os.path.getsize(path) == 0:
            raise UnreadableImage("empty file")
    except (FileNotFoundError, NotADirectoryError):
        raise UnreadableImage("no such file", absent=True) from None
    if os.path.isdir(path):
        raise UnreadableImage("a directory, not a file", absent=True)
    try:
        with warnings.catch_warnings():
            # Pillow warns from MAX_IMAGE_PIXELS and raises from twice that; refuse
            # from the warning on: no product picture needs 89 megapixels.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.draft(None, (size, size))  # JPEG only: DCT-domain downscale, still >= size
                return _pixels(im, size)
    except UnreadableImage:
        raise
    except Exception as exc:  # Pillow raises many types on bad data; none may stop a run
        raise UnreadableImage(describe(exc)) from exc


def _pixels(im: Any, size: int) -> np.ndarray:
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(im) or im
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode == "P" and "transparency" in im.info
    ):
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (*BACKGROUND, 255)), rgba)
    if im.mode != "RGB":
        im = im.convert("RGB")
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) / 2, (h - side) / 2
    box = (left, top, left + side, top + side)
    out = im.resize((size, size), Image.Resampling.BICUBIC, box=box)
    return np.asarray(out, dtype=np.uint8)


def describe(exc: BaseException) -> str:
    """A short reason for a failed decode (no traceback, the path not repeated)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image (Pillow cannot identify it)"
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        text = f"too large, decompression-bomb guard: {exc}"
    elif isinstance(exc, OSError) and "truncated" in str(exc).lower():
        text = f"truncated: {exc}"
    else:
        text = f"damaged ({type(exc).__name__}: {exc})"
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."
