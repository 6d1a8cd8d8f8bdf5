"""Pretrained image encoders for product pictures and their on-disk vector cache.

Public surface:

- :data:`IMAGE_ENCODERS` (name -> :class:`ImageEncoderSpec`): ``"efficientnet-lite0"``
  (EfficientNet-Lite0, ImageNet, 1280-d global-average-pooled features);
- :func:`get_image_encoder` (name -> :class:`ImageEncoder`, loaded offline, once per process);
- :func:`image_embeddings` (file paths, ``None`` where an item has no image ->
  :class:`ImageVectors`: float32 ``[n, dim]`` unit vectors, zero rows and
  ``ok=False`` where no usable image), cached on disk by encoder, encoder
  version and file content (BLAKE2b-128 of the bytes);
- :func:`load_image` (one file -> uint8 ``[224, 224, 3]`` RGB, Pillow + numpy)
  and :func:`default_image_cache_dir`.

Importing this package imports neither torch nor Pillow; they load when an
encoder is first built or an image first read. See docs/item-content.md.
"""

from __future__ import annotations

from recdistill.images.cache import ImageVectors, default_image_cache_dir, image_embeddings
from recdistill.images.encoders import (
    IMAGE_ENCODERS,
    ImageEncoder,
    ImageEncoderSpec,
    get_image_encoder,
    get_image_spec,
)
from recdistill.images.preprocess import IMAGE_SIZE, UnreadableImage, load_image

__all__ = [
    "IMAGE_ENCODERS",
    "IMAGE_SIZE",
    "ImageEncoder",
    "ImageEncoderSpec",
    "ImageVectors",
    "UnreadableImage",
    "default_image_cache_dir",
    "get_image_encoder",
    "get_image_spec",
    "image_embeddings",
    "load_image",
]
