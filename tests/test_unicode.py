"""Chinese (any-script) ids, titles and categories: every data source, the API, the page.

Ids and titles must come back exactly as written: CJK, a character outside the Basic
Multilingual Plane (``𠮷``, four bytes in UTF-8, two UTF-16 units in the browser) and
mixed Latin/CJK text. Files that are not UTF-8 (GBK, UTF-16) are one-line errors that
name the file and say how to convert it. The page and the report name CJK fonts, and
the page test proves the titles render with real glyphs, not boxes ("tofu").
"""

from __future__ import annotations

import codecs
import gzip
import json
import logging
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from test_serve_api import AUTH, client_for
from test_serve_page import ARGS, CHROMIUM
from test_serve_store import pg_reachable, pg_url  # noqa: F401  (fixture)
from test_serve_units import TOKEN, build_tiny_run

from recdistill.config import DataConfig, InteractionsSource, ItemsSource
from recdistill.data import load_dataset
from recdistill.data.sources import read_interactions, read_items
from recdistill.errors import ConfigError, DataError

Write = Callable[[str, str | bytes], Path]

USERS = ["用户_001", "用户_𠮷", "iPhone 用户 3"]
ITEMS = ["商品-苹果手机壳", "商品-𠮷野家", "iPhone 15 保护壳"]
TITLES = ["极光 X5 硅胶手机壳 黑色", "𠮷野家 牛丼 大碗", "iPhone 15 保护壳"]
CATEGORIES = ["手机数码 > 手机配件", "食品饮料 > 快餐", "手机数码 > 手机配件"]
TIMES = [1_700_000_000, 1_700_000_060, 1_700_000_120]
BOM = codecs.BOM_UTF8.decode()


def _rows(sep: str, header: str | None, cols: list[list[Any]]) -> str:
    lines = [header] if header is not None else []
    lines += [sep.join(str(v) for v in row) for row in zip(*cols, strict=True)]
    return "\n".join(lines) + "\n"


def _log(sep: str = ",", header: str | None = None) -> str:
    header = header if header is not None else sep.join(["user_id", "item_id", "timestamp"])
    return _rows(sep, header, [USERS, ITEMS, TIMES])


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _assert_log(src: InteractionsSource) -> None:
    f = read_interactions(src).frame
    assert f["user"].tolist() == USERS and f["item"].tolist() == ITEMS
    assert f["time"].tolist() == TIMES


def _assert_items(spec: ItemsSource, categories: list[str] = CATEGORIES) -> None:
    f = read_items(spec).frame
    assert f["item"].tolist() == ITEMS and f["title"].tolist() == TITLES
    assert f["category"].tolist() == categories


# -- interaction logs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        ("log.csv", _log(), {}),
        ("bom.csv", BOM + _log(), {}),  # Excel and Notepad write UTF-8 with a BOM
        ("log.tsv", _log("\t"), {"format": "tsv"}),
        ("semi.csv", _log(";"), {"sep": ";"}),
        ("pipes.txt", _log("|"), {"sep": "|"}),
        ("colons.txt", _log("::"), {"sep": "::"}),
        ("log.csv.gz", gzip.compress((BOM + _log()).encode()), {}),
        ("中文列名.csv", BOM + _log(header="用户,商品,时间"), {"user": "用户", "item": "商品",
                                                         "time": "时间"}),
    ],
    ids=["csv", "bom", "tsv", "semicolon", "pipe", "double-colon", "gzip", "chinese-header"],
)
def test_delimited_logs_keep_chinese_ids(
    write: Write, name: str, content: str | bytes, options: dict[str, Any]
) -> None:
    path = write(name, content.encode() if isinstance(content, str) else content)
    _assert_log(InteractionsSource.model_validate({"path": str(path), "format": "csv",
                                                   **options}))


def test_parquet_log_and_catalogue(tmp_path: Path) -> None:
    log, cat = tmp_path / "log.parquet", tmp_path / "items.parquet"
    pd.DataFrame({"user_id": USERS, "item_id": ITEMS, "timestamp": TIMES}).to_parquet(log)
    pd.DataFrame({"item_id": ITEMS, "title": TITLES, "category": CATEGORIES}).to_parquet(cat)
    _assert_log(InteractionsSource(path=str(log), format="parquet"))
    _assert_items(ItemsSource(path=str(cat), format="parquet"))


@pytest.mark.parametrize("bom", ["", BOM])
def test_csv_and_tsv_catalogues(write: Write, bom: str) -> None:
    cols = [ITEMS, TITLES, CATEGORIES]
    p = write("items.csv", bom + _rows(",", "item_id,title,category", cols))
    _assert_items(ItemsSource(path=str(p), format="csv"))
    p = write("items.tsv", bom + _rows("\t", "item_id\ttitle\tcategory", cols))
    _assert_items(ItemsSource(path=str(p), format="tsv"))


def test_load_dataset_keeps_ids_titles_and_categories(write: Write) -> None:
    log = write("shop/interactions.csv", BOM + _log())
    cat = write("shop/items.csv", BOM + _rows(",", "item_id,title,category",
                                              [ITEMS, TITLES, CATEGORIES]))
    ds = load_dataset(DataConfig.model_validate({
        "interactions": {"path": str(log), "format": "csv"},
        "items": {"path": str(cat), "format": "csv", "text": ["title", "category"]},
    }))
    assert ds.users.to_list() == USERS and ds.items.to_list() == ITEMS
    assert ds.item_title == TITLES and ds.item_category == CATEGORIES
    assert ds.item_text[0] == f"{TITLES[0]} | {CATEGORIES[0]}"


def test_amazon_reviews_and_metadata(write: Write) -> None:
    reviews = [
        {"reviewerID": u, "asin": i, "overall": 5.0, "unixReviewTime": t}
        for u, i, t in zip(USERS, ITEMS, TIMES, strict=True)
    ]
    meta = [
        {"asin": i, "title": t, "categories": [c.split(" > ")]}
        for i, t, c in zip(ITEMS, TITLES, CATEGORIES, strict=True)
    ]
    _assert_log(InteractionsSource(path=str(write("r.jsonl", _jsonl(reviews))), format="amazon"))
    p = write("r.json.gz", gzip.compress(json.dumps(reviews[0]).encode() + b"\n"  # \u escapes
                                         + _jsonl(reviews[1:]).encode()))
    _assert_log(InteractionsSource(path=str(p), format="amazon"))
    _assert_items(ItemsSource(path=str(write("meta.jsonl", _jsonl(meta))), format="amazon"))
    # A BOM (a file saved by Notepad) was "malformed JSON" on line 1 of the metadata.
    _assert_items(ItemsSource(path=str(write("bom.jsonl", BOM + _jsonl(meta))), format="amazon"))
    _assert_log(InteractionsSource(path=str(write("rb.jsonl", BOM + _jsonl(reviews))),
                                   format="amazon"))


def test_atomic_files(write: Write) -> None:
    write("商店/商店.inter", BOM + _log("\t", "user_id:token\titem_id:token\ttimestamp:float"))
    item = write("商店/商店.item", _rows("\t", "item_id:token\ttitle:token_seq\tcategory:token_seq",
                                     [ITEMS, TITLES, CATEGORIES]))
    ds = load_dataset(DataConfig.model_validate({
        "interactions": {"path": str(item.parent), "format": "atomic"},
        "items": {"path": str(item), "format": "atomic", "category": "category"},
    }))
    assert ds.name == "商店" and ds.users.to_list() == USERS and ds.items.to_list() == ITEMS
    assert ds.item_title == TITLES and ds.item_category == CATEGORIES


@pytest.mark.parametrize("layout", ["csv", "dat"])
def test_movielens_layouts(write: Write, layout: str) -> None:
    genres = [c.replace(" > ", "|") for c in CATEGORIES]
    if layout == "csv":
        write("ml/ratings.csv", _rows(",", "userId,movieId,rating,timestamp",
                                      [USERS, ITEMS, [4] * 3, TIMES]))
        write("ml/movies.csv", _rows(",", "movieId,title,genres",
                                     [ITEMS, [f'"{t}"' for t in TITLES], genres]))
    else:
        write("ml/ratings.dat", _rows("::", None, [USERS, ITEMS, [4] * 3, TIMES]))
        write("ml/movies.dat", _rows("::", None, [ITEMS, TITLES, genres]))
    ds = load_dataset(DataConfig.model_validate(
        {"interactions": {"path": str(write("ml/x", "").parent), "format": "movielens"}}))
    assert ds.users.to_list() == USERS and ds.items.to_list() == ITEMS
    assert ds.item_title == TITLES and ds.item_category == genres


# -- SQL ----------------------------------------------------------------------------------


def _write_tables(engine: Any, prefix: str = "") -> dict[str, str]:
    """An English-named and a Chinese-named table of each kind; returns their names."""
    names = {"log": f"{prefix}events", "items": f"{prefix}items",
             "中文": f"{prefix}订单", "中文items": f"{prefix}商品目录"}
    pd.DataFrame({"user_id": USERS, "item_id": ITEMS, "timestamp": TIMES}).to_sql(
        names["log"], engine, index=False)
    pd.DataFrame({"item_id": ITEMS, "title": TITLES, "category": CATEGORIES}).to_sql(
        names["items"], engine, index=False)
    pd.DataFrame({"用户": USERS, "商品": ITEMS, "时间": TIMES}).to_sql(
        names["中文"], engine, index=False)
    pd.DataFrame({"编号": ITEMS, "标题": TITLES, "类目": CATEGORIES}).to_sql(
        names["中文items"], engine, index=False)
    return names


def _check_sql(url: str, names: dict[str, str]) -> None:
    _assert_log(InteractionsSource(path=url, format="sql", query=names["log"]))
    _assert_items(ItemsSource(path=url, format="sql", query=names["items"]))
    # Chinese table and column names: the table name used to be refused ("letters, digits, _").
    _assert_log(InteractionsSource(path=url, format="sql", query=names["中文"],
                                   user="用户", item="商品", time="时间"))
    _assert_items(ItemsSource(path=url, format="sql", query=names["中文items"], id="编号",
                              text=["标题"], category="类目"))
    spec = ItemsSource(path=url, format="sql", query=f'SELECT * FROM "{names["items"]}" '
                       f"WHERE category = '{CATEGORIES[0]}'")
    assert read_items(spec).frame["title"].tolist() == [TITLES[0], TITLES[2]]
    with pytest.raises(ConfigError, match="table name"):
        read_items(ItemsSource(path=url, format="sql", query=f"{names['中文']}; DROP TABLE x"))


def test_sqlite_tables_and_select(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / '商店.db'}"
    engine = sa.create_engine(url)
    names = _write_tables(engine)
    engine.dispose()
    _check_sql(url, names)
    ds = load_dataset(DataConfig.model_validate(
        {"interactions": {"path": url, "format": "sql", "query": names["中文"], "user": "用户",
                          "item": "商品", "time": "时间"}}))
    assert ds.name == "订单" and ds.users.to_list() == USERS


@pytest.mark.postgres
def test_postgres_tables_and_select() -> None:
    import sqlalchemy as sa

    why = pg_reachable()
    if why:
        pytest.skip(why)
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    engine = sa.create_engine(url)
    names = _write_tables(engine, prefix=f"rd_{uuid.uuid4().hex[:8]}_")
    try:
        _check_sql(url, names)
    finally:
        with engine.begin() as conn:
            for name in names.values():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))  # test-made names
        engine.dispose()


# -- files that are not UTF-8 -------------------------------------------------------------


def _gbk(text: str) -> bytes:
    return text.replace("𠮷", "吉").encode("gbk")  # 𠮷 has no GBK code


@pytest.mark.parametrize(
    ("name", "content", "fmt", "line"),
    [
        ("gbk.csv", _gbk(_log()), "csv", 2),  # an ASCII header, GBK values
        ("gbk_header.csv", _gbk(_log(header="用户,商品,时间")), "csv", 1),
        ("gbk.tsv", _gbk(_log("\t")), "tsv", 2),
        ("gbk.jsonl", _gbk(_jsonl([{"reviewerID": USERS[0], "asin": ITEMS[0],
                                    "unixReviewTime": 1}])), "amazon", 1),
        ("utf16.csv", _log().encode("utf-16"), "csv", None),  # Excel's "Unicode text"
    ],
    ids=["gbk-values", "gbk-header", "gbk-tsv", "gbk-jsonl", "utf16"],
)
def test_non_utf8_files_are_one_line_errors_with_the_fix(
    write: Write, name: str, content: bytes, fmt: str, line: int | None
) -> None:
    """No source has an ``encoding`` option: a GBK or UTF-16 file is a DataError that names
    the file (and line) and says to save it as UTF-8. A GBK Amazon file was an
    ``ArrowException`` traceback; UTF-16 was "binary data (NUL byte)"."""
    path = write(name, content)
    src = InteractionsSource.model_validate(
        {"path": str(path), "format": fmt, "user": "用户" if "header" in name else "user_id"})
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(interactions=src))
    message = str(err.value)
    assert message.startswith(str(path) + (f", line {line}:" if line else ":"))
    assert "UTF-8" in message and "iconv -f GBK -t UTF-8" in message and "\n" not in message


def test_gbk_catalogue_is_an_error_naming_the_file(write: Write) -> None:
    p = write("items.csv", _gbk(_rows(",", "item_id,title", [ITEMS, TITLES])))
    with pytest.raises(DataError, match=r"items\.csv, line 2: not utf-8 text .*save the file"):
        read_items(ItemsSource(path=str(p), format="csv"))
    meta = _gbk(_jsonl([{"asin": ITEMS[0], "title": TITLES[0]}]))
    with pytest.raises(DataError, match=r"meta\.jsonl, line 1: not UTF-8 text .*save the file"):
        read_items(ItemsSource(path=str(write("meta.jsonl", meta)), format="amazon"))


# -- a run over a Chinese shop, served ----------------------------------------------------

def chinese_shop(folder: Path, n_users: int = 150, n_items: int = 300) -> tuple[Path, Path]:
    """The Chinese demo shop (``write_demo(lang="zh")``) with every id rewritten in Chinese.

    The three most popular items get :data:`ITEMS` (titles :data:`TITLES`, categories
    :data:`CATEGORIES`) and the three most active users :data:`USERS`, so that they
    appear in the fallback lists and the sample users; the other items keep the zh
    demo's titles and category paths. Written as UTF-8 with a BOM.
    """
    from recdistill.data.demo import write_demo

    inter, items = write_demo(folder / "demo", seed=3, n_users=n_users, n_items=n_items,
                              lang="zh")  # fmt: skip
    log = pd.read_csv(inter, dtype=str)
    cat = pd.read_csv(items, dtype=str, keep_default_na=False)
    by_pop = log["item_id"].value_counts().index.tolist()
    by_pop += [i for i in cat["item_id"] if i not in set(by_pop)]
    item_ids = {old: (ITEMS[n] if n < 3 else f"商品-{n:04d}") for n, old in enumerate(by_pop)}
    users = log["user_id"].value_counts().index.tolist()
    user_ids = {old: (USERS[n] if n < 3 else f"用户_{n + 1:03d}") for n, old in enumerate(users)}
    rank = {old: n for n, old in enumerate(by_pop)}
    zh_title = dict(zip(cat["item_id"], cat["title"], strict=True))

    def title(old: str) -> str:
        n = rank[old]
        return TITLES[n] if n < 3 else zh_title[old]

    out = pd.DataFrame({
        "item_id": cat["item_id"].map(item_ids),
        "title": cat["item_id"].map(title),
        "category": [CATEGORIES[rank[i]] if rank[i] < 3 else c
                     for i, c in zip(cat["item_id"], cat["category"], strict=True)],
    })
    log = log.assign(user_id=log["user_id"].map(user_ids), item_id=log["item_id"].map(item_ids))
    inter_path, items_path = folder / "交互.csv", folder / "商品.csv"
    log.to_csv(inter_path, index=False, encoding="utf-8-sig")
    out.to_csv(items_path, index=False, encoding="utf-8-sig")
    return inter_path, items_path


@cache
def _built(root: str) -> Path:
    """The run folder (teacher, two baselines, a student slot), built once per session."""
    base = Path(root)
    inter, items = chinese_shop(base / "src")
    return build_tiny_run(base, inter, items, "中文商店")


@pytest.fixture
def cn_run(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A fresh copy of the Chinese shop's run folder."""
    src = _built(str(tmp_path_factory.getbasetemp() / "unicode-run"))
    return Path(shutil.copytree(src, tmp_path / "run"))


@pytest.fixture
def client(cn_run: Path) -> Iterator[TestClient]:
    with client_for(cn_run) as c:
        yield c


def _utf8_json(r: Any) -> dict[str, Any]:
    """The body of a 200 JSON answer, checked to be raw UTF-8 (no ``\\u`` escapes)."""
    assert r.status_code == 200, r.text
    ctype = r.headers["content-type"]
    assert ctype.split(";")[0] == "application/json"  # RFC 8259: JSON is UTF-8
    assert "charset" not in ctype or "charset=utf-8" in ctype.replace(" ", "").lower()
    assert b"\\u" not in r.content
    doc: dict[str, Any] = json.loads(r.content.decode("utf-8"))
    return doc


def _path(user: str) -> str:
    return f"/v1/users/{quote(user, safe='')}/recommendations"


def test_recommendations_for_chinese_users_in_the_path(client: TestClient) -> None:
    info = _utf8_json(client.get("/v1/run"))
    assert info["dataset"]["name"] == "中文商店"
    assert info["sample_users"] and all(u.startswith("用户_") for u in info["sample_users"])
    assert CATEGORIES[0] in info["categories"]
    for user in USERS:
        r = client.get(_path(user), params={"k": 5})
        doc = _utf8_json(r)
        assert doc["user_id"] == user and doc["policy"] == "known_user"
        assert user.encode("utf-8") in r.content  # 𠮷: four bytes, not a surrogate pair
        assert all(it["title"] and it["item_id"].startswith(("商品-", "iPhone"))
                   for it in doc["items"])
        # The FastAPI route the fast path shadows answers the same.
        slow = TestClient(client.app.api).get(_path(user), params={"k": 5})  # type: ignore[attr-defined]
        assert _utf8_json(slow)["items"] == doc["items"]
        hist = _utf8_json(client.get(f"/v1/users/{quote(user, safe='')}"))
        assert hist["user_id"] == user and hist["known"] and hist["length"] > 0


def test_item_lookup_search_and_category_filter(client: TestClient) -> None:
    for item, title, category in zip(ITEMS, TITLES, CATEGORIES, strict=True):
        r = client.get(f"/v1/items/{quote(item, safe='')}")
        doc = _utf8_json(r)
        assert (doc["item_id"], doc["title"], doc["category"]) == (item, title, category)
        assert title.encode("utf-8") in r.content
    found = _utf8_json(client.get("/v1/items", params={"q": "手机壳"}))["items"]
    assert ITEMS[0] in [f["item_id"] for f in found]
    assert all("手机壳" in f["title"] for f in found)
    found = _utf8_json(client.get("/v1/items", params={"q": "𠮷野家"}))["items"]
    assert [f["item_id"] for f in found] == [ITEMS[1]]
    assert _utf8_json(client.get("/v1/items", params={"q": "iphone 15"}))["items"][0][
        "title"] == TITLES[2]
    doc = _utf8_json(client.get(_path(USERS[0]), params={"k": 5, "category": "手机数码"}))
    assert doc["items"] and all(it["category"].startswith("手机数码 > ") for it in doc["items"])
    top = _utf8_json(client.get(_path("陌生人")))["items"][0]["item_id"]
    ex = _utf8_json(client.get(_path("陌生人"), params=[("exclude", top), ("k", 3)]))
    assert ex["user_id"] == "陌生人" and ex["policy"] == "fallback"
    assert top not in [it["item_id"] for it in ex["items"]]
    r = client.get(_path(USERS[0]), params={"category": "不存在的类目"})
    assert r.status_code == 422 and "不存在的类目" in r.content.decode("utf-8")


@pytest.mark.parametrize("escaped", [False, True])
def test_events_with_chinese_ids(client: TestClient, escaped: bool) -> None:
    """A raw UTF-8 body (the fast path) and a ``\\u``-escaped one; a new user and a known one."""
    new = "新用户_𠮷" + ("_esc" if escaped else "")
    for user, item, eid in [(new, ITEMS[0], "点击-1"), (USERS[2], ITEMS[1], "点击-2")]:
        body = {"user_id": user, "item_id": item, "event_id": f"{eid}-{escaped}"}
        content = json.dumps(body, ensure_ascii=escaped).encode("utf-8")
        r = client.post("/v1/events", content=content, headers={
            **AUTH, "content-type": "application/json; charset=utf-8"})
        assert r.status_code == 201, r.text
        ack = json.loads(r.content.decode("utf-8"))
        assert ack["user_id"] == user and ack["item_id"] == item
        assert ack["event_id"] == body["event_id"] and ack["new_user"] is (user == new)
        hist = _utf8_json(client.get(f"/v1/users/{quote(user, safe='')}?limit=1000"))
        assert hist["history"][-1] == {"item_id": item, "title": TITLES[ITEMS.index(item)],
                                       "category": CATEGORIES[ITEMS.index(item)]}
        doc = _utf8_json(client.get(_path(user)))
        assert doc["policy"] == "known_user" and item not in [i["item_id"] for i in doc["items"]]
    r = client.post("/v1/events", json={"user_id": new, "item_id": "商品-不存在"}, headers=AUTH)
    assert r.status_code == 422 and "'商品-不存在'" in r.json()["detail"]


def test_post_recommendations_with_a_chinese_history(client: TestClient) -> None:
    doc = _utf8_json(client.post("/v1/recommendations", json={"history": ITEMS[:2], "k": 4}))
    assert doc["policy"] == "history" and not set(ITEMS[:2]) & {i["item_id"] for i in doc["items"]}
    batch = _utf8_json(client.post("/v1/recommendations", json={"requests": [
        {"user_id": USERS[1], "k": 2}, {"history": [ITEMS[2]], "k": 2}]}))
    assert [d["user_id"] for d in batch["results"]] == [USERS[1], None]


def _events_survive_a_restart(run: Path, store: str) -> None:
    events = [(USERS[1], ITEMS[2], "事件-1"), ("新用户_𠮷", ITEMS[0], "事件-2")]
    with client_for(run, store=store) as c:
        for user, item, eid in events:
            r = c.post("/v1/events", json={"user_id": user, "item_id": item, "event_id": eid},
                       headers=AUTH)
            assert r.status_code == 201, r.text
        before = {u: c.get(f"/v1/users/{quote(u, safe='')}").json() for u, _, _ in events}
    with client_for(run, store=store) as c:  # a new process, the same store
        for user, item, eid in events:
            doc = c.get(f"/v1/users/{quote(user, safe='')}").json()
            assert doc == before[user] and doc["history"][-1]["item_id"] == item
            again = c.post("/v1/events", json={"user_id": user, "item_id": item,
                                               "event_id": eid}, headers=AUTH)
            assert again.status_code == 200 and again.json()["duplicate"] is True


def test_events_survive_a_restart_sqlite(cn_run: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / '事件.db'}"
    _events_survive_a_restart(cn_run, url)
    # The events table reads back through `format: sql` with the same ids.
    f = read_interactions(InteractionsSource(path=url, format="sql", query="events"))
    assert f.frame["user"].tolist() == [USERS[1], "新用户_𠮷"]
    assert f.frame["item"].tolist() == [ITEMS[2], ITEMS[0]]


@pytest.mark.postgres
def test_events_survive_a_restart_postgres(cn_run: Path, pg_url: str) -> None:  # noqa: F811
    _events_survive_a_restart(cn_run, pg_url)


# -- fonts: the page, the report and its plots --------------------------------------------

STATIC = Path(__file__).resolve().parents[1] / "recdistill" / "serve" / "static"
CJK_STACK = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC",
             "Hiragino Sans GB", "Microsoft YaHei"]


def _families(css: str) -> list[str]:
    """The families of the first ``font``/``font-family`` declaration of ``body``."""
    body = css[css.index("body") :]
    names = [f.strip().strip('"') for f in body[: body.index(";")].split(":", 1)[1].split(",")]
    return [names[0].split()[-1], *names[1:]]  # ``font: 15px/1.45 system-ui, ...``


def test_page_and_report_name_cjk_fonts_before_the_generic_family() -> None:
    from recdistill.report import STYLE

    html = (STATIC / "index.html").read_text("utf-8")
    assert '<meta charset="utf-8">' in html and '<html lang="' in html
    for css in ((STATIC / "page.css").read_text("utf-8"), STYLE):
        families = _families(css)
        assert families[0] == "system-ui" and families[-1] == "sans-serif"
        assert [f for f in families if f in CJK_STACK] == CJK_STACK
    assert "<meta charset='utf-8'>" in _report_of_a_chinese_run()


def _report_of_a_chinese_run() -> str:
    from recdistill.report import render_report
    from recdistill.report.ratios import distillation_rows

    def entry(role: str, ndcg: float, nbytes: int, **extra: Any) -> dict[str, Any]:
        metrics = {f"{m}@10": ndcg for m in ("ndcg", "recall", "hr", "mrr")}
        metrics |= {f"recall_{g}@10": ndcg for g in ("head", "mid", "tail")}
        return {"role": role, "kd": None, "params": nbytes // 4, "serving_bytes": nbytes,
                "latency_ms_per_user": 1.0, "latency_ms_per_user_batched": 0.1,
                "train_seconds": 1.0, "metrics": metrics, "val_metrics": metrics, **extra}

    models = {
        "教师": entry("teacher", 0.10, 700_000),
        "学生-从头": entry("student", 0.08, 60_000, student="学生", teacher="教师"),
        "学生-蒸馏 𠮷": entry("student", 0.09, 60_000, student="学生", teacher="教师",
                           kd="listwise"),
    }
    doc = {"dataset": {"name": "中文商店", "users": 3, "items": 3, "interactions": 9},
           "k": [10], "models": models, "distillation": distillation_rows(models)}
    return render_report(doc, {"学生-蒸馏 𠮷": {"epochs": [{"epoch": 1, "loss": 1.0,
                                                        "val": {"ndcg@10": 0.1}}]}})


def test_report_plots_draw_chinese_model_names_with_a_cjk_font(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    """Text in the SVG figures is paths: a Chinese model name must be drawn from a CJK font
    (matplotlib names each glyph's path after its font), not DejaVu Sans' missing-glyph box."""
    from recdistill.report import plots

    if len(plots.font_family()) < 2:
        pytest.skip("no CJK font for matplotlib (scripts/setup --dev installs fonts-noto-cjk)")
    caplog.set_level(logging.WARNING)
    page = _report_of_a_chinese_run()
    assert "中文商店" in page and "学生-蒸馏 𠮷" in page
    cjk = plots.font_family()[1].replace(" ", "")
    svg = page[page.index("<svg") : page.index("</svg>")]  # quality against size
    glyphs = {m for m in re.findall(r'id="([^"]+)-[0-9a-f]+"', svg) if m.lower().startswith(
        cjk.lower())}
    assert glyphs, f"no glyph of {cjk} in the figure"
    n_han = len(re.findall(r'id="' + re.escape(next(iter(glyphs))) + '-', svg))
    assert n_han == len(set("教师学生从头蒸馏𠮷"))  # every distinct Chinese character
    assert not [w for w in recwarn.list if "missing from font" in str(w.message)]
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_absent_cjk_fonts_are_not_named_and_log_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from recdistill.report import plots

    monkeypatch.setattr(plots, "CJK_FONTS", ("No Such Sans CJK", "Nor This Hei"))
    plots.font_family.cache_clear()
    try:
        caplog.set_level(logging.WARNING)
        assert plots.font_family() == ["sans-serif"]
        metrics = {"k": [10], "models": {"ease": {"role": "baseline", "serving_bytes": 10,
                                                  "metrics": {"ndcg@10": 0.1}}}}
        assert "<svg" in plots.quality_vs_size(metrics, 10)
        assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    finally:
        plots.font_family.cache_clear()


_TOFU_JS = """([font, text]) => {
  // Each distinct Han character of `text`, drawn alone in `font`, against U+10FFFD (no font
  // has it: the missing-glyph box). Boxes are all alike; real glyphs differ from the box
  // and from each other.
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (ch) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = font;
    ctx.textBaseline = "top";
    ctx.fillText(ch, 8, 8);
    const alpha = ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3);
    return { key: alpha.join(","), ink: alpha.filter((a) => a > 0).length };
  };
  const box = draw("\\u{10FFFD}").key;
  const chars = [...new Set([...text].filter((ch) => /\\p{Script=Han}/u.test(ch)))];
  const drawn = chars.map(draw);
  return { chars: chars.length, distinct: new Set(drawn.map((d) => d.key)).size,
           boxes: drawn.filter((d) => d.key === box).length,
           blank: drawn.filter((d) => d.ink === 0).length };
}"""


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed "
                    "(scripts/setup --dev installs Debian's chromium)")
def test_page_renders_chinese_titles_with_cjk_glyphs(cn_run: Path, tmp_path: Path) -> None:
    """Headless Chromium: the titles arrive unchanged, a click records a Chinese item for a
    user with a non-BMP id, and the titles are drawn by a CJK font of the page's stack with
    real glyphs (this fails where no CJK font is installed: every character is one box)."""
    from playwright import sync_api
    from test_serve_durability import request, server

    user = USERS[1]  # 𠮷: a surrogate pair in JavaScript, four bytes in the URL
    store = f"sqlite:///{tmp_path / 'events.db'}"
    with server(cn_run, store, tmp_path / "server.log") as (_, port), \
            sync_api.sync_playwright() as p:  # fmt: skip
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/?user={quote(user, safe='')}")
            page.wait_for_selector("body[data-ready='1']", timeout=20_000)
            assert page.get_by_test_id("user-input").input_value() == user
            assert set(page.get_by_test_id("sample-user").all_inner_texts()) <= set(
                request(port, "GET", "/v1/run")[1]["sample_users"])

            student = page.locator("[data-testid='rec-item'][data-model='student']")
            shown = student.evaluate_all(
                "els => els.map(e => [e.dataset.itemId, e.querySelector('.title').textContent,"
                " e.querySelector('.meta').textContent])")
            api = request(port, "GET", f"{_path(user)}?k=10&model=student")[1]["items"]
            assert shown == [[it["item_id"], it["title"], f"{it['item_id']} · {it['category']}"]
                             for it in api]
            hist = page.get_by_test_id("history-item")
            titles = hist.evaluate_all("els => els.map(e => e.querySelector('.title').textContent)")
            expect = request(port, "GET", f"/v1/users/{quote(user, safe='')}?limit=50")[1]
            assert titles == [h["title"] for h in expect["history"]]

            # A click records the Chinese item id for this user, through the browser's fetch.
            picked = shown[0][0]
            student.first.click()
            page.get_by_test_id("token-input").fill(TOKEN)
            page.get_by_test_id("token-save").click()
            page.wait_for_function(
                "() => document.querySelector('[data-testid=status]').textContent"
                ".startsWith('Recorded')", timeout=20_000)
            assert hist.last.get_attribute("data-item-id") == picked
            assert hist.last.locator(".title").inner_text() == shown[0][1]
            assert not errors, errors

            # The fonts Chromium drew the first title with (DevTools' platform fonts).
            first = student.first.locator(".title")
            text = first.inner_text()
            cdp = page.context.new_cdp_session(page)
            cdp.send("DOM.enable")
            cdp.send("CSS.enable")
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            css = "[data-testid='rec-item'][data-model='student'] .title"
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": css})
            used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
            stack = _families((STATIC / "page.css").read_text("utf-8"))
            han = sum(1 for ch in text if re.match(r"[\u3400-\u9fff\U00020000-\U0002ffff]", ch))
            cjk = [f for f in used if f["familyName"] in stack and f["familyName"] in CJK_STACK]
            assert cjk and sum(f["glyphCount"] for f in cjk) >= han, (
                f"{text!r} drawn with {used}: no CJK font of the page's stack "
                "(install fonts-noto-cjk: scripts/setup --dev)")

            # Pixels: each Chinese character of the titles is a distinct glyph, not a box.
            font = first.evaluate(
                "e => { const s = getComputedStyle(e); return `${s.fontStyle} ${s.fontWeight} "
                "32px ${s.fontFamily}`; }")
            all_titles = " ".join(t for _, t, _ in shown) + " " + " ".join(TITLES)
            got = page.evaluate(_TOFU_JS, [font, all_titles])
            assert got["chars"] >= 20 and got["blank"] == 0, got
            assert got["boxes"] == 0 and got["distinct"] == got["chars"], got

            shot = tmp_path / "page-zh.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
