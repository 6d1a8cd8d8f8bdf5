"""The Chinese demo vocabulary: a one-to-one mirror of the English one, so the same
seed gives the same shop (items, models, popularity, user histories), only in Chinese."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from recdistill.data.demo import DemoData
from recdistill.data.demo.behaviour import simulate
from recdistill.data.demo.catalogue import Catalogue, build_catalogue, fields
from recdistill.data.demo.stats import summary
from recdistill.data.demo.vocabulary import DEVICE, LEAVES, Leaf, departments, widen
from recdistill.data.demo.vocabulary_zh import (
    BRANDS,
    COLOUR_AXES,
    COLOURS_ZH_EN,
    LEAVES_ZH,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
PAIRS = list(zip(LEAVES, LEAVES_ZH, strict=True))


def _cjk_share(text: str) -> float:
    return len(CJK.findall(text)) / max(1, len(text.replace(" ", "")))


def _chinese_name(name: str) -> bool:
    return 2 <= len(name) <= 3 and all(CJK.fullmatch(ch) for ch in name)


def test_every_leaf_mirrors_its_english_leaf() -> None:
    assert len(LEAVES_ZH) == len(LEAVES)
    for en, zh in PAIRS:
        assert (zh.kind, zh.share, zh.appeal, zh.interval) == (
            en.kind, en.share, en.appeal, en.interval), en.name
        assert len(zh.fmts) == len(en.fmts), en.name
        for f_en, f_zh in zip(en.fmts, zh.fmts, strict=True):
            assert fields(f_zh) == fields(f_en), (en.name, f_zh)  # same placeholders, same order
        assert len(zh.blurbs) == len(en.blurbs), en.name
        for b_en, b_zh in zip(en.blurbs, zh.blurbs, strict=True):
            assert set(fields(b_zh)) == set(fields(b_en)), (en.name, b_zh)
        assert list(zh.axes) == list(en.axes), en.name
        for key, values in zh.axes.items():
            assert len(values) == len(en.axes[key]) == len(set(values)), (en.name, key)
        assert len(zh.series) == len(en.series) and len(zh.numbers) == len(en.numbers)
        assert CJK.search(zh.name) and CJK.search(zh.dept), en.name


def test_parents_and_complements_name_the_same_leaves() -> None:
    index_en = {leaf.name: i for i, leaf in enumerate(LEAVES)}
    index_zh = {leaf.name: i for i, leaf in enumerate(LEAVES_ZH)}
    assert len(index_zh) == len(LEAVES_ZH)  # leaf names are unique
    for en, zh in PAIRS:
        assert (index_zh[zh.parent] if zh.parent else -1) == (
            index_en[en.parent] if en.parent else -1)
        assert [index_zh[c] for c in zh.complements] == [index_en[c] for c in en.complements]
    depts_en, depts_zh = departments(LEAVES), departments(LEAVES_ZH)
    assert [depts_zh.index(z.dept) for z in LEAVES_ZH] == [depts_en.index(e.dept) for e in LEAVES]


def _titles(leaf: Leaf) -> list[str]:
    """Every title the leaf can form, with a stand-in model name."""
    out = []
    for fmt in leaf.fmts:
        names = [f for f in fields(fmt) if f != "model"]
        for values in itertools.product(*(leaf.axes[n] for n in names)):
            out.append(fmt.format_map({"model": "<M>", **dict(zip(names, values, strict=True))}))
    return out


def _model_names(leaves: tuple[Leaf, ...]) -> list[str]:
    return [
        f"{brand} {series}{number}"
        for leaf in leaves if leaf.kind == DEVICE
        for brand in leaf.axes["brand"] for series in leaf.series for number in leaf.numbers
    ]


def test_titles_and_model_names_translate_one_to_one() -> None:
    for names in (
        [(e, z) for en, zh in PAIRS for e, z in zip(_titles(en), _titles(zh), strict=True)],
        list(zip(_model_names(LEAVES), _model_names(LEAVES_ZH), strict=True)),
    ):
        # two English titles are equal exactly when their Chinese ones are
        assert len(set(names)) == len({e for e, _ in names}) == len({z for _, z in names})


def test_brands_are_invented_chinese_names_one_per_english_brand() -> None:
    assert all(_chinese_name(b) for b in BRANDS.values())
    assert len(set(BRANDS.values())) == len(BRANDS)
    for en, zh in PAIRS:
        assert zh.axes.get("brand", ()) == tuple(BRANDS[b] for b in en.axes.get("brand", ()))


def test_chinese_colours_map_back_to_their_english_names() -> None:
    n = 0
    for en, zh in PAIRS:
        for key in COLOUR_AXES:
            for c_en, c_zh in zip(en.axes.get(key, ()), zh.axes.get(key, ()), strict=True):
                assert COLOURS_ZH_EN[c_zh] == c_en and CJK.search(c_zh)
                n += 1
    assert n > 100 and len(COLOURS_ZH_EN) == len(set(COLOURS_ZH_EN.values()))


def _pcg(seed: int = 0) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _same_items(a: Catalogue, b: Catalogue) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in ("leaf", "model", "ptype", "weight", "interval", "model_leaf")
    )


@pytest.mark.parametrize("n", [1200, 3200])
def test_the_chinese_catalogue_is_the_english_one_item_by_item(n: int) -> None:
    rng_en, rng_zh = _pcg(), _pcg()
    en, zh = build_catalogue(rng_en, n, LEAVES), build_catalogue(rng_zh, n, LEAVES_ZH)
    assert zh.n_items == n and len(set(zh.title)) == n
    chars = "".join(zh.title).replace(" ", "")
    assert len(CJK.findall(chars)) / len(chars) > 0.6  # mostly Chinese characters
    assert all(len(CJK.findall(t)) >= 3 for t in zh.title)
    assert all(CJK.search(d) for d in zh.description)
    assert _same_items(en, zh)
    assert [BRANDS[m.split(" ", 1)[0]] for m in en.model_name] == [
        m.split(" ", 1)[0] for m in zh.model_name]
    # the same random path, so the simulated users shop the same items at the same times
    ev_en, ev_zh = simulate(rng_en, en, 300), simulate(rng_zh, zh, 300)
    for name in ("user", "item", "time"):
        assert np.array_equal(getattr(ev_en, name), getattr(ev_zh, name))
    if n == 1200:  # the statistics read departments from the catalogue's own leaves
        s_en = summary(DemoData(seed=0, catalogue=en, events=ev_en, n_users=300))
        s_zh = summary(DemoData(seed=0, catalogue=zh, events=ev_zh, n_users=300))
        assert s_zh == s_en and s_zh["departments"] == 11


def test_widened_chinese_leaves_get_chinese_brands_and_build_a_large_catalogue() -> None:
    wide_en, wide_zh = widen(LEAVES, 3), widen(LEAVES_ZH, 3)
    hand = set(BRANDS.values())
    new = {b for leaf in wide_zh for b in leaf.axes.get("brand", ())} - hand
    assert len(new) > 200 and all(_chinese_name(b) for b in new)
    for leaf_en, leaf_zh in zip(wide_en, wide_zh, strict=True):
        brands = leaf_zh.axes.get("brand", ())
        assert len(brands) == len(leaf_en.axes.get("brand", ())) == len(set(brands))
    en = build_catalogue(_pcg(), 10_000, wide_en)
    zh = build_catalogue(_pcg(), 10_000, wide_zh)
    assert zh.n_items == 10_000 and len(set(zh.title)) == 10_000
    assert _same_items(en, zh)


def test_generate_demo_in_chinese_is_the_same_log_with_chinese_titles() -> None:
    from recdistill.data.demo import DEMO_SIZES, generate_demo

    en_inter, en_items = generate_demo(seed=0, lang="en", **DEMO_SIZES["quick"])
    zh_inter, zh_items = generate_demo(seed=0, lang="zh", **DEMO_SIZES["quick"])
    assert zh_inter.frame.equals(en_inter.frame)  # same users, items and times
    assert zh_items.frame["item"].equals(en_items.frame["item"])
    assert "lang=zh" in zh_items.source
    titles = zh_items.frame["title"].tolist()
    assert sum(_cjk_share(t) > 0.5 for t in titles) > 0.8 * len(titles)


def test_data_generate_writes_a_chinese_catalogue_that_loads(tmp_path: Path) -> None:
    import yaml

    from recdistill.config import DataConfig
    from recdistill.data import load_dataset
    from recdistill.data.demo.generate import generate
    from recdistill.errors import UserError

    done = generate(tmp_path / "g", 300, 400, 6000, lang="zh")
    doc = yaml.safe_load(done.config.read_text(encoding="utf-8"))
    data = doc["data"]
    for part in ("interactions", "items"):
        data[part]["path"] = str(tmp_path / "g" / data[part]["path"])
    ds = load_dataset(DataConfig.model_validate(data))
    assert done.interactions == 6000 and ds.n_users == 300
    assert sum(_cjk_share(t) > 0.5 for t in ds.item_title) > 0.8 * ds.n_items
    with pytest.raises(UserError, match="unknown language 'fr'"):
        generate(tmp_path / "h", 300, 400, 6000, lang="fr")
