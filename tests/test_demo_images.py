"""The demo shop's product pictures: deterministic, and what they show follows the catalogue."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from recdistill.data.demo.catalogue import Catalogue, build_catalogue
from recdistill.data.demo.drawings import DRAWINGS
from recdistill.data.demo.generate import catalogue as generated_catalogue
from recdistill.data.demo.images import (
    BACKGROUND,
    COLOUR_AXES,
    COLOURS,
    colours_of,
    default_names,
    look_of,
    render_image,
    render_images,
)
from recdistill.data.demo.vocabulary import LEAVES


def _catalogue(n: int) -> Catalogue:
    return build_catalogue(np.random.Generator(np.random.PCG64(0)), n)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return _catalogue(300)


@pytest.fixture(scope="module")
def big() -> Catalogue:
    return _catalogue(3200)  # every leaf and (nearly) every product type


@pytest.fixture(scope="module")
def rendered(cat: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("images")
    return folder, render_images(cat, folder)


def _with(cat: Catalogue, item: int, **attrs: str) -> Catalogue:
    """The catalogue with some attribute values of one item changed."""
    new = list(cat.attrs)
    new[item] = {**new[item], **attrs}
    return replace(cat, attrs=new)


def _object_mean(im: Image.Image) -> np.ndarray:
    """Mean RGB over the pixels that are not background."""
    a = np.asarray(im, dtype=np.float64)
    fg = np.abs(a - np.asarray(BACKGROUND)).sum(axis=2) > 30
    return a[fg].mean(axis=0)


def test_attrs_and_form_rebuild_every_title(cat: Catalogue) -> None:
    for c in (cat, generated_catalogue(0, 300)):
        assert len(c.attrs) == len(c.form) == c.n_items
        for i in range(c.n_items):
            leaf = c.leaves[int(c.leaf[i])]
            assert leaf.fmts[int(c.form[i])].format_map(c.attrs[i]) == c.title[i]


def test_render_images_writes_one_png_per_item(cat: Catalogue,
                                               rendered: tuple[Path, list[str]]) -> None:
    folder, names = rendered
    assert names == default_names(cat.n_items) and names[0] == "P00000.png"
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    with Image.open(folder / names[7]) as im:
        assert im.format == "PNG" and im.mode == "RGB" and im.size == (224, 224)


def test_deterministic_bytes(cat: Catalogue, rendered: tuple[Path, list[str]],
                             tmp_path: Path) -> None:
    folder, names = rendered
    again = render_images(cat, tmp_path)
    assert again == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_brand_marks_do_not_depend_on_python_hash_seed(cat: Catalogue) -> None:
    code = (
        "import hashlib, numpy as np\n"
        "from recdistill.data.demo.catalogue import build_catalogue\n"
        "from recdistill.data.demo.images import render_image\n"
        "cat = build_catalogue(np.random.Generator(np.random.PCG64(0)), 300)\n"
        "print(hashlib.sha256(b''.join(render_image(cat, i, size=64).tobytes() "
        "for i in range(40))).hexdigest())\n"
    )
    here = hashlib.sha256(
        b"".join(render_image(cat, i, size=64).tobytes() for i in range(40))).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == here


def test_every_leaf_has_a_drawing_and_every_colour_a_value() -> None:
    assert {leaf.name for leaf in LEAVES} <= set(DRAWINGS)
    for leaf in LEAVES:
        for key in COLOUR_AXES:
            for value in leaf.axes.get(key, ()):
                assert colours_of(value) is not None, (leaf.name, key, value)
    assert colours_of("Navy/Orange") == (COLOURS["Navy"][0], COLOURS["Orange"][0])
    assert colours_of("Octarine") is None


def test_every_product_type_draws_something(big: Catalogue) -> None:
    for leaf_id, leaf in enumerate(big.leaves):
        for form in range(len(leaf.fmts)):
            items = np.flatnonzero((big.leaf == leaf_id) & (big.form == form))
            if len(items) == 0:
                continue
            a = np.asarray(render_image(big, int(items[0]), size=64), dtype=np.float64)
            fg = (np.abs(a - np.asarray(BACKGROUND)).sum(axis=2) > 30).mean()
            assert 0.05 < fg < 0.9, (leaf.name, form, fg)


def test_object_colour_follows_the_colour_attribute(big: Catalogue) -> None:
    """Per product type with a colour: its reddest value renders redder than its bluest."""

    def redness(name: str) -> float:
        r, _, b = colours_of(name)[0]  # type: ignore[index]
        return float(r - b)

    checked = 0
    for leaf_id, leaf in enumerate(big.leaves):
        values = leaf.axes.get("colour", ())
        if len(values) < 2:
            continue
        red, blue = max(values, key=redness), min(values, key=redness)
        if redness(red) - redness(blue) < 80:
            continue
        for form in range(len(leaf.fmts)):
            items = np.flatnonzero((big.leaf == leaf_id) & (big.form == form))
            if len(items) == 0 or "colour" not in big.attrs[int(items[0])]:
                continue
            i = int(items[0])
            m_red = _object_mean(render_image(_with(big, i, colour=red), i, size=96))
            m_blue = _object_mean(render_image(_with(big, i, colour=blue), i, size=96))
            assert m_red[0] - m_red[2] > m_blue[0] - m_blue[2] + 5, (leaf.name, form, red, blue)
            checked += 1
    assert checked >= 40


def test_same_leaf_looks_closer_than_other_departments(
    cat: Catalogue, rendered: tuple[Path, list[str]]
) -> None:
    folder, names = rendered
    x = np.stack([
        np.asarray(Image.open(folder / n).resize((16, 16), Image.Resampling.BOX),
                   dtype=np.float64).ravel() / 255
        for n in names
    ])
    sq = (x**2).sum(axis=1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None] - 2 * x @ x.T, 0))
    dept = np.array([cat.leaves[int(j)].dept for j in cat.leaf])
    upper = np.triu(np.ones_like(d, dtype=bool), 1)
    same_leaf = (cat.leaf[:, None] == cat.leaf[None]) & upper
    other_dept = (dept[:, None] != dept[None]) & upper
    assert d[same_leaf].mean() < 0.85 * d[other_dept].mean()


def test_pack_count_draws_that_many(big: Catalogue) -> None:
    socks = next(i for i in range(big.n_items)
                 if big.leaves[int(big.leaf[i])].name == "Socks")
    two, six = _with(big, socks, pack="2-Pack"), _with(big, socks, pack="6-Pack")
    assert look_of(two, socks).count == 2 and look_of(six, socks).count == 6
    a = np.asarray(render_image(two, socks, size=96), dtype=np.float64)
    b = np.asarray(render_image(six, socks, size=96), dtype=np.float64)
    assert np.abs(a - b).mean() > 5
    # more socks, more separate shapes along a row through the picture's middle
    def runs(im: np.ndarray, row: int) -> int:
        fg = np.abs(im[row] - np.asarray(BACKGROUND)).sum(axis=1) > 60
        return int(np.count_nonzero(fg[1:] & ~fg[:-1]))
    assert max(runs(b, r) for r in range(96)) > max(runs(a, r) for r in range(96))


def test_size_and_brand_change_details(big: Catalogue) -> None:
    shoe = next(i for i in range(big.n_items)
                if big.leaves[int(big.leaf[i])].name == "Running Shoes")
    bottle = next(i for i in range(big.n_items)
                  if big.leaves[int(big.leaf[i])].name == "Drinkware" and big.form[i] == 0)
    small = np.asarray(render_image(_with(big, bottle, oz="12 oz"), bottle, size=96))
    large = np.asarray(render_image(_with(big, bottle, oz="32 oz"), bottle, size=96))
    area = [(np.abs(im.astype(int) - BACKGROUND).sum(axis=2) > 60).sum() for im in (small, large)]
    assert area[1] > area[0] * 1.2
    brands = [look_of(_with(big, shoe, brand=b), shoe) for b in ("Stridewell", "Fleetfoot",
                                                                  "Runique")]
    assert len({(lk.mark, lk.accent, lk.stripes) for lk in brands}) > 1


def test_colour_names_translate_other_languages(big: Catalogue) -> None:
    tee = next(i for i in range(big.n_items) if big.leaves[int(big.leaf[i])].name == "T-Shirts")
    english = render_image(_with(big, tee, colour="Red"), tee, size=64)
    chinese = _with(big, tee, colour="红色")
    assert render_image(chinese, tee, size=64, colour_names={"红色": "Red"}).tobytes() == \
        english.tobytes()
    assert render_image(chinese, tee, size=64).tobytes() != english.tobytes()  # leaf palette


def test_render_images_names_and_errors(cat: Catalogue, tmp_path: Path) -> None:
    names = [f"shelf/{i}.png" for i in range(cat.n_items)]
    assert render_images(cat, tmp_path, names, size=32) == names
    with Image.open(tmp_path / "shelf" / "5.png") as im:
        assert im.size == (32, 32)
    with pytest.raises(ValueError, match="names for"):
        render_images(cat, tmp_path, names[:3])
    with pytest.raises(ValueError, match="not inside"):
        render_images(cat, tmp_path, ["../x.png"] * cat.n_items)


def test_write_demo_with_images_names_them_in_the_catalogue_in_any_language(
    tmp_path: Path,
) -> None:
    from recdistill.config import DataConfig
    from recdistill.data import load_dataset
    from recdistill.data.demo import demo_config, write_demo

    sizes = {"seed": 2, "n_users": 60, "n_items": 300}
    _, en_items = write_demo(tmp_path / "en", images=True, **sizes)
    _, zh_items = write_demo(tmp_path / "zh", images=True, lang="zh", **sizes)
    en = pd.read_csv(en_items, dtype=str)
    zh = pd.read_csv(zh_items, dtype=str)
    assert (en["image"] == "images/" + en["item_id"] + ".png").all()
    assert zh["image"].equals(en["image"])
    # The same items in either language: the same pictures, byte for byte.
    for name in en["image"].iloc[:20]:
        assert (tmp_path / "zh" / name).read_bytes() == (tmp_path / "en" / name).read_bytes()
    ds = load_dataset(DataConfig.model_validate(demo_config(tmp_path / "zh", images=True)))
    assert len(ds.item_image) == ds.n_items
    assert all(Path(p).is_file() and Path(p).parent == tmp_path / "zh" / "images"
               for p in ds.item_image)  # fmt: skip
    _, plain = write_demo(tmp_path / "plain", **sizes)
    assert "image" not in pd.read_csv(plain, dtype=str).columns


@pytest.mark.slow
def test_the_image_model_sees_the_demo_categories_in_the_pictures(tmp_path: Path) -> None:
    """EfficientNet-Lite0 on 300 drawn pictures: an item's nearest picture (centred cosine)
    is of its own leaf category far above chance (1 in 55; measured 84%)."""
    pytest.importorskip("efficientnet_lite_pytorch", reason="the image encoder is not installed")
    from recdistill.images import image_embeddings

    cat = build_catalogue(np.random.Generator(np.random.PCG64(0)), 300)
    names = render_images(cat, tmp_path / "img")
    got = image_embeddings([str(tmp_path / "img" / n) for n in names], "efficientnet-lite0",
                           tmp_path / "cache", progress=False)  # fmt: skip
    assert got.ok.all() and got.missing == 0 and not got.failed
    x = got.vectors - got.vectors.mean(0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    same_leaf = cat.leaf[sim.argmax(1)] == cat.leaf
    assert same_leaf.mean() > 0.6, f"nearest picture of the same leaf for {same_leaf.mean():.0%}"
