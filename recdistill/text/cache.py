"""On-disk cache of item-text vectors, keyed by encoder, encoder version and text hash.

Layout (safetensors only, never pickle)::

    CACHE_DIR/
      <encoder>/                       e.g. minilm/
        v-<sha256(version)[:16]>/      one folder per encoder version
          version.json                 {"encoder", "version", "dim"} (for people)
          .lock                        advisory lock (fcntl) held while updating
          shard-<time>-<pid>.safetensors
              keys     uint8   [m, 16]    BLAKE2b-128 of each text's UTF-8 bytes
              vectors  float32 [m, dim]   unit-normalised vectors, row per key
              metadata {"encoder", "version", "dim"}

A call looks every text up by its hash, encodes only the texts not found
(each distinct text once) and appends them as a new shard; when a folder holds
more than :data:`MAX_SHARDS` shards they are merged into one. Different
encoders live in different folders and each shard's metadata is checked on
load, so one encoder never reuses another's vectors; a new encoder version (a
package upgrade, a recipe change) starts a new folder.

Concurrent callers (several ``torchrun`` ranks) serialise on the lock: the
first encodes, the others then find everything cached. A cache folder that
cannot be written is reported as a warning and the vectors are computed anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from recdistill.text.encoders import TextEncoder, get_encoder, get_spec

log = logging.getLogger("recdistill.text")

MAX_SHARDS = 8
"""Shards per version folder before they are merged into one."""

KEY_BYTES = 16


def default_cache_dir(kind: str = "text") -> Path:
    """``$RECDISTILL_CACHE/<kind>`` when that variable is set, else ``~/.cache/recdistill/<kind>``.

    ``~/.cache`` is ``$XDG_CACHE_HOME`` where that is set. ``kind`` is ``"text"``
    here and ``"image"`` for :mod:`recdistill.images`.
    """
    root = os.environ.get("RECDISTILL_CACHE")
    if root:
        return Path(root).expanduser() / kind
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "recdistill" / kind


def text_keys(texts: list[str]) -> np.ndarray:
    """BLAKE2b-128 digests of each text's UTF-8 bytes -> uint8 ``[n, 16]``."""
    out = np.empty((len(texts), KEY_BYTES), dtype=np.uint8)
    for i, text in enumerate(texts):
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()
        out[i] = np.frombuffer(digest, dtype=np.uint8)
    return out


class EmbeddingCache:
    """The cached vectors of one encoder version, in ``root/<encoder>/v-<hash>/``.

    Args:
        root: the cache directory (holds one folder per encoder).
        encoder: encoder name.
        version: encoder version string (see :meth:`EncoderSpec.version`).
        dim: vector width.
        label: what the vectors are of, for log lines (``"text cache: ..."``).
        logger: where warnings go (default ``recdistill.text``).
        work: what computing the vectors is called in log lines (``"encoding"``).
    """

    def __init__(
        self,
        root: Path,
        encoder: str,
        version: str,
        dim: int,
        *,
        label: str = "text",
        logger: logging.Logger | None = None,
        work: str = "encoding",
    ) -> None:
        self.encoder, self.version, self.dim = encoder, version, dim
        self.label, self._log, self.work = label, logger or log, work
        tag = hashlib.sha256(version.encode("utf-8")).hexdigest()[:16]
        self.folder = Path(root) / encoder / f"v-{tag}"
        self._meta = {"encoder": encoder, "version": version, "dim": str(dim)}

    def shards(self) -> list[Path]:
        """Shard files, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("shard-*.safetensors"))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's advisory lock (creates the folder); no-op without fcntl."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # not POSIX: no cross-process lock
            self._describe()
            yield
            return
        with open(self.folder / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._describe()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def opened(self) -> Iterator[bool]:
        """Hold the lock while the caller reads and writes; yields whether the cache is
        usable (a folder that cannot be created or locked: one warning, False, and the
        caller computes its vectors without the cache)."""
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(self.locked())
        except OSError as exc:
            self._log.warning(
                "%s cache: %s unusable (%s); %s without cache",
                self.label, self.folder, exc, self.work,
            )  # fmt: skip
            yield False
            return
        with stack:
            yield True

    def lookup(self, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cached rows for each key in ``want [n, 16]`` -> ``(vectors [n, dim], found [n])``."""
        return _lookup(want, *self.load())

    def store(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Append a shard and compact; a write that fails is a warning, not an error."""
        try:
            self.append(keys, vectors)
            self.compact()
        except OSError as exc:
            self._log.warning("%s cache: could not write %s (%s)", self.label, self.folder, exc)

    def count_missing(self, keys: np.ndarray) -> int:
        """How many distinct ``keys [n, 16]`` have no cached vector (loads no model)."""
        want = np.unique(keys, axis=0)
        try:
            cached, _ = self.load()
        except OSError:
            return len(want)
        have = {k.tobytes() for k in cached}
        return sum(1 for k in want if k.tobytes() not in have)

    def _describe(self) -> None:
        meta = self.folder / "version.json"
        if not meta.exists():
            meta.write_text(json.dumps(self._meta, indent=1) + "\n", encoding="utf-8")

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """All valid shards -> ``(keys uint8 [m, 16], vectors float32 [m, dim])``.

        A shard whose metadata or shapes do not match is skipped with a warning.
        """
        from safetensors import safe_open
        from safetensors.numpy import load_file

        keys, vectors = [], []
        for path in self.shards():
            try:
                with safe_open(str(path), framework="numpy") as handle:
                    meta = handle.metadata() or {}
                tensors = load_file(str(path))
                k, v = tensors["keys"], tensors["vectors"]
            except Exception as exc:  # a damaged file must not stop the run
                self._log.warning("%s cache: skipping unreadable %s (%s)", self.label, path, exc)
                continue
            ok = (
                meta.get("encoder") == self.encoder
                and meta.get("version") == self.version
                and k.dtype == np.uint8
                and k.ndim == 2
                and k.shape[1] == KEY_BYTES
                and v.dtype == np.float32
                and v.shape == (k.shape[0], self.dim)
            )
            if not ok:
                self._log.warning(
                    "%s cache: skipping %s (another encoder, version or shape)", self.label, path
                )
                continue
            keys.append(k)
            vectors.append(v)
        if not keys:
            return np.empty((0, KEY_BYTES), np.uint8), np.empty((0, self.dim), np.float32)
        return np.concatenate(keys), np.concatenate(vectors)

    def append(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Write ``keys [m, 16]`` / ``vectors [m, dim]`` as a new shard (atomically)."""
        if len(keys) == 0:
            return
        name = f"shard-{time.time_ns():020d}-{os.getpid()}.safetensors"
        self._write(self.folder / name, keys, vectors)

    def compact(self) -> None:
        """Merge all shards into one when there are more than :data:`MAX_SHARDS`."""
        old = self.shards()
        if len(old) <= MAX_SHARDS:
            return
        keys, vectors = self.load()
        _, first = np.unique(keys, axis=0, return_index=True)
        first.sort()
        name = f"shard-{time.time_ns():020d}-{os.getpid()}.safetensors"
        self._write(self.folder / name, keys[first], vectors[first])
        for path in old:
            path.unlink(missing_ok=True)

    def _write(self, path: Path, keys: np.ndarray, vectors: np.ndarray) -> None:
        from safetensors.numpy import save_file

        tmp = path.with_suffix(".tmp")
        tensors: dict[str, np.ndarray] = {
            "keys": np.ascontiguousarray(keys, dtype=np.uint8),
            "vectors": np.ascontiguousarray(vectors, dtype=np.float32),
        }
        save_file(tensors, str(tmp), metadata=self._meta)
        os.replace(tmp, path)


def _lookup(
    want: np.ndarray, keys: np.ndarray, vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``vectors`` for each key in ``want [n, 16]`` -> ``(vectors [n, dim], found [n])``."""
    index = {k.tobytes(): i for i, k in enumerate(keys)}
    rows = np.array([index.get(k.tobytes(), -1) for k in want], dtype=np.int64)
    found = rows >= 0
    out = np.zeros((len(want), vectors.shape[1]), dtype=np.float32)
    out[found] = vectors[rows[found]]
    return out, found


def missing(texts: list[str], encoder: str, cache_dir: Path | None = None) -> int:
    """How many distinct ``texts`` the cache of ``encoder`` lacks (what encoding would cost)."""
    spec = get_spec(encoder)
    cache = EmbeddingCache(cache_dir or default_cache_dir(), spec.name, spec.version(), spec.dim)
    return cache.count_missing(text_keys(list(texts)))


def item_embeddings(
    texts: list[str],
    encoder: str | TextEncoder,
    cache_dir: Path | None,
    progress: bool = True,
) -> np.ndarray:
    """Vectors of item texts, from the cache where present, else encoded and cached.

    Args:
        texts: one text per item (n); an empty string is encoded like any other
            text (all empty texts share that one vector).
        encoder: a registered encoder name (``"minilm"``, ``"e5"``) or an
            encoder object.
        cache_dir: cache directory; ``None`` for :func:`default_cache_dir`.
        progress: show a progress bar while encoding.

    Returns:
        float32 ``[n, dim]``, row ``i`` the unit-normalised vector of ``texts[i]``.

    Raises:
        ConfigError: unknown encoder, or its package is not installed.

    Only texts whose hash is not in the cache of this encoder version are
    encoded (each distinct text once); the model is not even loaded when all
    are cached.
    """
    texts = list(texts)
    if isinstance(encoder, str):
        spec = get_spec(encoder)
        name, version, dim = spec.name, spec.version(), spec.dim
        model: TextEncoder | None = None
    else:
        model = encoder
        name, version, dim = model.name, model.version, model.dim

    keys = text_keys(texts)
    cache = EmbeddingCache(cache_dir or default_cache_dir(), name, version, dim)
    with cache.opened() as usable:
        if usable:
            out, found = cache.lookup(keys)
        else:
            out, found = np.zeros((len(texts), dim), np.float32), np.zeros(len(texts), bool)
        if found.all():
            log.info("text cache: all %d %s vectors reused (%s)", len(texts), name, cache.folder)
            return out
        new_keys, new_vectors = _fill(out, found, texts, keys, model or get_encoder(name), progress)
        if usable:
            cache.store(new_keys, new_vectors)
        return out


def _fill(
    out: np.ndarray,
    found: np.ndarray,
    texts: list[str],
    keys: np.ndarray,
    model: TextEncoder,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode the distinct texts not ``found`` into ``out`` (in place).

    Returns ``(keys [u, 16], vectors [u, dim])`` of the u texts it encoded.
    """
    todo = np.flatnonzero(~found)
    first: dict[bytes, int] = {}
    for i in todo:
        first.setdefault(keys[i].tobytes(), int(i))
    unique = list(first.values())
    log.info(
        "text cache: encoding %d new texts with %s (%d of %d reused)",
        len(unique),
        model.name,
        int(found.sum()),
        len(texts),
    )
    vectors = np.asarray(model.encode([texts[i] for i in unique], progress=progress))
    if vectors.shape != (len(unique), model.dim):
        raise RuntimeError(
            f"text encoder '{model.name}' returned shape {vectors.shape}, "
            f"expected {(len(unique), model.dim)}"
        )
    vectors = vectors.astype(np.float32, copy=False)
    slot = {k: j for j, k in enumerate(first)}
    for i in todo:
        out[i] = vectors[slot[keys[i].tobytes()]]
    return keys[unique], vectors
