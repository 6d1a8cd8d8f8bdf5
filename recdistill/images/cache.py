"""On-disk cache of image vectors, keyed by encoder, encoder version and file content.

The same machinery and layout as the text cache
(:class:`recdistill.text.cache.EmbeddingCache`, safetensors shards, never
pickle), in its own folder (``$RECDISTILL_CACHE/image`` or
``~/.cache/recdistill/image``)::

    CACHE_DIR/
      efficientnet-lite0/
        v-<sha256(version)[:16]>/
          version.json  .lock
          shard-<time>-<pid>.safetensors
              keys     uint8   [m, 16]     BLAKE2b-128 of each file's bytes
              vectors  float32 [m, 1280]

The key is the file's *content*, not its path: a renamed or moved file is
found again, a changed file is embedded again, and identical files are
embedded once. Only successfully embedded images are cached: a file that
could not be read is tried again on the next call (it may have been repaired
in place, or Pillow's size limit raised).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recdistill.images.encoders import (
    ImageEncoder,
    get_image_encoder,
    get_image_spec,
    summarise_failures,
)
from recdistill.text.cache import KEY_BYTES, EmbeddingCache, default_cache_dir

log = logging.getLogger("recdistill.images")

ImagePath = str | os.PathLike[str] | None


@dataclass(frozen=True)
class ImageVectors:
    """The vectors of n items' images.

    Attributes:
        vectors: float32 ``[n, dim]``; row ``i`` unit-norm where ``ok[i]``, zero elsewhere.
        ok: bool ``[n]``: item ``i`` has a usable image.
        missing: items with no image: ``None`` paths and files that do not exist.
        failed: ``(path, reason)`` of each file that exists but could not be
            used (empty, not an image, truncated, too large, unreadable).
    """

    vectors: np.ndarray
    ok: np.ndarray
    missing: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def default_image_cache_dir() -> Path:
    """``$RECDISTILL_CACHE/image``, else ``~/.cache/recdistill/image``.

    ``~/.cache`` is ``$XDG_CACHE_HOME`` where that is set.
    """
    return default_cache_dir("image")


_KEYS: dict[tuple[str, int, int], bytes] = {}
"""Content keys already computed in this process, by (path, size, mtime in ns): a run
hashes its pictures for the default teacher's estimate, the item-content stage and
the teacher's fit; each file is read once."""


def file_key(path: str, stat: os.stat_result | None = None) -> bytes:
    """BLAKE2b-128 of the file's bytes (16 bytes); reads in chunks, once per process for
    a file whose size and modification time have not changed.

    Raises:
        OSError: the file cannot be opened or read.
    """
    st = stat or os.stat(path)
    memo = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    key = _KEYS.get(memo)
    if key is None:
        with open(path, "rb") as handle:
            key = hashlib.file_digest(
                handle, lambda: hashlib.blake2b(digest_size=KEY_BYTES)
            ).digest()
        _KEYS[memo] = key
    return key


def _hash_all(
    paths: list[str | None], failed: list[tuple[int, str]]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Keys of the readable files -> ``(keys uint8 [n, 16], hashed bool [n], absent)``.

    ``absent`` lists the indices of None paths and absent files; unreadable and
    empty files go to ``failed`` as ``(index, reason)``.
    """
    n = len(paths)
    keys = np.zeros((n, KEY_BYTES), dtype=np.uint8)
    hashed = np.zeros(n, dtype=bool)
    absent: list[int] = []
    for i, path in enumerate(paths):
        if path is None:
            absent.append(i)
            continue
        try:
            st = os.stat(path)
            if st.st_size == 0:
                failed.append((i, "empty file"))
                continue
            keys[i] = np.frombuffer(file_key(path, st), dtype=np.uint8)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            absent.append(i)
            continue
        except OSError as exc:
            failed.append((i, f"cannot read ({exc.strerror or exc})"))
            continue
        hashed[i] = True
    return keys, hashed, absent


def missing_images(
    paths: Sequence[ImagePath], encoder: str, cache_dir: Path | None = None
) -> int:
    """How many distinct readable image files the cache of ``encoder`` lacks (what
    embedding them would cost); reads every file once to hash it, loads no model."""
    strs = [None if p is None else os.fspath(p) for p in paths]
    keys, hashed, _ = _hash_all(strs, [])
    spec = get_image_spec(encoder)
    cache = _cache(cache_dir, spec.name, spec.version(), spec.dim)
    return cache.count_missing(keys[hashed])


def _cache(cache_dir: Path | None, name: str, version: str, dim: int) -> EmbeddingCache:
    return EmbeddingCache(
        cache_dir or default_image_cache_dir(), name, version, dim,
        label="image", logger=log, work="embedding",
    )  # fmt: skip


def image_embeddings(
    paths: Sequence[ImagePath],
    encoder: str | ImageEncoder,
    cache_dir: Path | None,
    progress: bool = True,
) -> ImageVectors:
    """Vectors of item images, from the cache where present, else embedded and cached.

    Args:
        paths: one image file per item (n), ``None`` where an item has none.
        encoder: a registered encoder name (``"efficientnet-lite0"``) or an
            encoder object.
        cache_dir: cache directory; ``None`` for :func:`default_image_cache_dir`.
        progress: show a progress bar (images/s, ETA) while embedding.

    Returns:
        :class:`ImageVectors` with ``vectors`` float32 ``[n, dim]`` (zero rows
        where ``ok`` is False), ``ok`` bool ``[n]``, ``missing`` and ``failed``.

    Raises:
        ConfigError: unknown encoder, or its package is not installed.

    Absent and unreadable files never raise: they get ``ok=False`` and are
    reported in ONE warning line (count, first few names and reasons). Only
    files whose content hash is not cached for this encoder version are
    embedded (each distinct content once); the model is not even loaded when
    every readable file is cached.
    """
    strs = [None if p is None else os.fspath(p) for p in paths]
    if isinstance(encoder, str):
        spec = get_image_spec(encoder)
        name, version, dim = spec.name, spec.version(), spec.dim
        model: ImageEncoder | None = None
    else:
        model = encoder
        name, version, dim = model.name, model.version, model.dim

    n = len(strs)
    bad: list[tuple[int, str]] = []
    keys, hashed, absent = _hash_all(strs, bad)
    cache = _cache(cache_dir, name, version, dim)
    with cache.opened() as usable:
        if usable and hashed.any():
            out, found = cache.lookup(keys)
            found &= hashed
            out[~found] = 0.0
        else:
            out, found = np.zeros((n, dim), np.float32), np.zeros(n, bool)
        ok = found.copy()
        todo = np.flatnonzero(hashed & ~found)
        if len(todo) == 0:
            log.info("image cache: %d %s vectors reused (%s)", int(found.sum()), name, cache.folder)
        else:
            new_keys, new_vectors = _fill(
                out, ok, strs, keys, todo, bad, model or get_image_encoder(name), progress
            )
            if usable:
                cache.store(new_keys, new_vectors)
    bad.sort()
    failed = [(str(strs[i]), why) for i, why in bad]
    _report(n, failed, [strs[i] for i in absent])
    return ImageVectors(vectors=out, ok=ok, missing=len(absent), failed=failed)


def _fill(
    out: np.ndarray,
    ok: np.ndarray,
    paths: list[str | None],
    keys: np.ndarray,
    todo: np.ndarray,
    bad: list[tuple[int, str]],
    model: ImageEncoder,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Embed each distinct content among ``todo`` once, into ``out`` / ``ok`` (in place).

    Files that fail to decode are appended to ``bad``. Returns ``(keys [u, 16],
    vectors [u, dim])`` of the u contents embedded successfully (what to cache).
    """
    first: dict[bytes, int] = {}
    for i in todo:
        first.setdefault(keys[i].tobytes(), int(i))
    unique = list(first.values())
    log.info(
        "image cache: embedding %d new images with %s (%d of %d reused)",
        len(unique),
        model.name,
        int(ok.sum()),
        len(paths),
    )
    reasons: dict[str, str] = {}
    vectors, good = model.encode(
        [str(paths[i]) for i in unique],
        progress=progress,
        on_error=lambda path, why: reasons.__setitem__(path, why),
    )
    vectors = np.asarray(vectors, dtype=np.float32)
    good = np.asarray(good, dtype=bool)
    dim = out.shape[1]
    if vectors.shape != (len(unique), dim) or good.shape != (len(unique),):
        raise RuntimeError(
            f"image encoder '{model.name}' returned shapes {vectors.shape}, {good.shape}; "
            f"expected {(len(unique), dim)}, {(len(unique),)}"
        )
    slot = {k: j for j, k in enumerate(first)}
    for i in todo:
        j = slot[keys[i].tobytes()]
        if good[j]:
            out[i] = vectors[j]
            ok[i] = True
        else:
            why = reasons.get(str(paths[unique[j]]), "could not be embedded")
            bad.append((int(i), why))
    return keys[unique][good], vectors[good]


_REPORTED: set[str] = set()
"""The warning lines already logged in this process (a run embeds in its item-content
stage and again, from the cache, when the teacher fits: the same files, one warning)."""


def _report(n: int, failed: list[tuple[str, str]], absent: list[str | None]) -> None:
    """One warning line for all unusable files of a call (info when items merely lack one);
    a line identical to one already logged in this process is logged at debug level."""
    files = [p for p in absent if p is not None]
    nones = len(absent) - len(files)
    if not failed and not files:
        if nones:
            log.info("images: %d of %d items have no image (zero vectors, ok=False)", nones, n)
        return
    parts = []
    if files:
        names = ", ".join(Path(p).name for p in files[:3]) + (" ..." if len(files) > 3 else "")
        parts.append(f"{len(files)} absent ({names})")
    if failed:
        parts.append(f"{len(failed)} unreadable ({summarise_failures(failed)})")
    tail = f"; and {nones} without an image path (None)" if nones else ""
    line = (
        f"images: {len(files) + len(failed)} of {n} image files unusable, their vectors are "
        f"zero (ok=False): {'; '.join(parts)}{tail}"
    )
    if line in _REPORTED:
        log.debug("%s (again)", line)
        return
    _REPORTED.add(line)
    log.warning("%s", line)
