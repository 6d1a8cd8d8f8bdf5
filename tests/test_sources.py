"""Sources: each layout read from small files written into tmp_path."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recdistill.config import DataConfig, InteractionsSource, ItemsSource
from recdistill.data import describe, load_dataset
from recdistill.data.sources import read_interactions, read_items
from recdistill.errors import ConfigError, DataError

Write = Callable[[str, str | bytes], Path]
SHARED_ML100K = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-100k"


def inter(**kw: Any) -> InteractionsSource:
    return InteractionsSource.model_validate(kw)


def frame(**kw: Any) -> pd.DataFrame:
    return read_interactions(inter(**kw)).frame


def data(**kw: Any) -> DataConfig:
    return DataConfig.model_validate(kw)


# ---------------------------------------------------------------- csv / tsv / parquet


def test_csv_column_mapping_keeps_file_order_and_string_ids(write: Write) -> None:
    p = write("log.csv", "who,what,when,stars\n007,a,30,4.5\n2,b,10,1\n007,c,20,3\n")
    f = frame(path=str(p), format="csv", user="who", item="what", time="when", rating="stars")
    assert list(f.columns) == ["user", "item", "time", "rating"]
    assert f["user"].tolist() == ["007", "2", "007"]  # ids stay text, leading zeros kept
    assert f["time"].dtype == np.int64 and f["time"].tolist() == [30, 10, 20]
    assert f["rating"].dtype == np.float64 and f["rating"].tolist() == [4.5, 1.0, 3.0]


def test_tsv_and_separator_overrides(write: Write) -> None:
    p = write("log.tsv", "user_id\titem_id\ttimestamp\nu1\ti1\t5\nu2\ti2\t6\n")
    assert frame(path=str(p), format="tsv")["item"].tolist() == ["i1", "i2"]
    p = write("semi.csv", "user_id;item_id;timestamp\nu1;i1;5\n")
    assert frame(path=str(p), format="csv", sep=";")["user"].tolist() == ["u1"]
    p = write("colons.txt", "user_id::item_id::timestamp\nu1::i1::5\nu2::i9::7\n")
    assert frame(path=str(p), format="csv", sep="::")["item"].tolist() == ["i1", "i9"]


def test_gzipped_csv(write: Write) -> None:
    p = write("log.csv.gz", gzip.compress(b"user_id,item_id,timestamp\nu,i,1\n"))
    assert frame(path=str(p), format="csv")["user"].tolist() == ["u"]


def test_parquet_with_integer_ids(tmp_path: Path) -> None:
    p = tmp_path / "log.parquet"
    pd.DataFrame({"u": [3, 1], "i": [10, 20], "t": [5.0, 6.0]}).to_parquet(p)
    f = frame(path=str(p), format="parquet", user="u", item="i", time="t")
    assert f["user"].tolist() == ["3", "1"] and f["item"].tolist() == ["10", "20"]
    assert f["time"].tolist() == [5, 6]


def test_times_iso_custom_format_and_file_order(write: Write) -> None:
    p = write(
        "iso.csv",
        "user_id,item_id,timestamp\nu,a,2020-01-01T00:00:10Z\nu,b,2020-01-01 01:00:00+01:00\n"
        "u,c,1970-01-02\n",
    )
    assert frame(path=str(p), format="csv")["time"].tolist() == [1577836810, 1577836800, 86400]
    p = write("fmt.csv", "user_id,item_id,day\nu,a,02/01/2020\n")
    f = frame(path=str(p), format="csv", time="day", time_format="%d/%m/%Y")
    assert f["time"].tolist() == [1577923200]
    p = write("none.csv", "user_id,item_id\nu,b\nu,a\n")
    assert frame(path=str(p), format="csv", time=None)["time"].tolist() == [0, 1]


def test_csv_catalogue_text_title_category(write: Write) -> None:
    p = write(
        "items.csv",
        'sku,name,blurb,dept\nA1,"Red, shoe",comfy,Shoes\nB2,,plain,\n',
    )
    spec = ItemsSource(path=str(p), format="csv", id="sku", text=["name", "blurb"], category="dept")
    f = read_items(spec).frame
    assert f["item"].tolist() == ["A1", "B2"]
    assert f["text"].tolist() == ["Red, shoe | comfy", "plain"]
    assert f["title"].tolist() == ["Red, shoe", "B2"]  # empty title falls back to the id
    assert f["category"].tolist() == ["Shoes", ""]


def test_csv_catalogue_with_quoted_newlines(write: Write) -> None:
    p = write("items.csv", 'item_id,title,about\n1,Lamp,"Bright.\nWarm."\n2,Desk,Oak\n')
    f = read_items(ItemsSource(path=str(p), format="csv", text=["title", "about"])).frame
    assert f["text"].tolist() == ["Lamp | Bright.\nWarm.", "Desk | Oak"]


# ---------------------------------------------------------------- MovieLens


U_ITEM_FLAGS = "|".join(["0"] * 19)


def _flags(*on: int) -> str:
    flags = ["0"] * 19
    for i in on:
        flags[i] = "1"
    return "|".join(flags)


@pytest.fixture
def ml100k(write: Write) -> Path:
    write("ml-100k/u.data", "1\t10\t5\t881250949\n2\t20\t3\t881250950\n1\t20\t4\t881250948\n")
    u_item = (
        f"10|Toy Story (1995)|01-Jan-1995||http://x|{_flags(3, 4, 5)}\n"
        f'20|Café "Noir" (1996)|01-Jan-1996||http://y|{_flags(8)}\n'
        f"30|Never Rated (1997)|01-Jan-1997||http://z|{U_ITEM_FLAGS}\n"
    ).encode("latin-1")
    write("ml-100k/u.item", u_item)
    return Path(write("ml-100k/u.genre", "")).parent


def test_movielens_100k_folder_with_catalogue_found_beside(ml100k: Path) -> None:
    ds = load_dataset(data(interactions={"path": str(ml100k), "format": "movielens"}))
    assert ds.name == "ml-100k"
    assert ds.users.to_list() == ["1", "2"] and ds.items.to_list() == ["10", "20"]
    assert ds.item_title == ["Toy Story (1995)", 'Café "Noir" (1996)']  # latin-1 decoded
    assert ds.item_category[0] == "Animation|Children's|Comedy"
    assert ds.item_text[1] == 'Café "Noir" (1996) | Drama'
    assert any("1 items without interactions" in line for line in ds.log)
    # the ratings file itself works as the path, and user 1's rows are in time order
    ds2 = load_dataset(data(interactions={"path": str(ml100k / "u.data"), "format": "movielens"}))
    assert ds2.name == "ml-100k"
    assert ds2.items.originals(ds2.interactions.item[:2]) == ["20", "10"]


def test_movielens_1m_and_20m_layouts(write: Write) -> None:
    write("ml-1m/ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n")
    write(
        "ml-1m/movies.dat",
        "1193::Amélie (2001)::Comedy|Romance\n661::James (1996)::Animation\n".encode("latin-1"),
    )
    ds = load_dataset(
        data(interactions={"path": str(write("ml-1m/x", "").parent), "format": "movielens"})
    )
    assert ds.item_title == ["Amélie (2001)", "James (1996)"]
    assert ds.item_category == ["Comedy|Romance", "Animation"]
    write("ml-20m/ratings.csv", "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n")
    write("ml-20m/movies.csv", 'movieId,title,genres\n2,"Jumanji, The (1995)",Adventure\n')
    ds = load_dataset(
        data(
            interactions={
                "path": str(write("ml-20m/x", "").parent),
                "format": "movielens",
                "min_rating": 3,
            }
        )
    )
    assert ds.item_title == ["Jumanji, The (1995)"]
    assert ds.interactions.time.tolist() == [1112486027]


# ---------------------------------------------------------------- RecBole atomic


@pytest.fixture
def atomic(write: Write) -> Path:
    write(
        "shop/shop.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "u1\ti1\t5\t100\nu1\ti2\t2\t50\nu2\ti1\t4\t70\n",
    )
    write(
        "shop/shop.item",
        "item_id:token\tmovie_title:token_seq\tyear:token\tclass:token_seq\n"
        'i1\tThe "Big" One\t1999\tAction Drama\ni2\tSmall\t2001\tComedy\ni3\tCold\t2002\tWar\n',
    )
    return Path(write("shop/shop.user", "")).parent


def test_atomic_folder_typed_headers_and_companion_item_file(atomic: Path) -> None:
    ds = load_dataset(data(interactions={"path": str(atomic), "format": "atomic"}))
    assert ds.name == "shop" and ds.items.to_list() == ["i1", "i2"]
    assert ds.item_text[0] == 'The "Big" One | 1999 | Action Drama'  # quotes are plain text
    assert ds.item_title[0] == 'The "Big" One' and ds.item_category[0] == "Action Drama"
    # names with the :type suffix, and the rating column found by default
    src = inter(
        path=str(atomic / "shop.inter"), format="atomic", user="user_id:token", min_rating=4
    )
    ds = load_dataset(
        DataConfig(
            interactions=src,
            items=ItemsSource(
                path=str(atomic / "shop.item"),
                format="atomic",
                text=["movie_title:token_seq"],
            ),
        )
    )
    assert ds.interactions.item.size == 2 and ds.item_text == ['The "Big" One']


@pytest.mark.skipif(not SHARED_ML100K.exists(), reason="shared ml-100k data not present")
def test_real_ml100k_atomic() -> None:
    ds = load_dataset(
        data(
            interactions={
                "path": str(SHARED_ML100K / "ml-100k.inter"),
                "format": "atomic",
                "rating": "rating",
            },
            items={
                "path": str(SHARED_ML100K / "ml-100k.item"),
                "format": "atomic",
                "text": ["movie_title", "class"],
            },
        )
    )
    assert (ds.n_users, ds.n_items, len(ds.interactions)) == (943, 1682, 100_000)
    assert ds.item_title[ds.items.index("1")] == "Toy Story"
    assert ds.item_text[ds.items.index("1")] == "Toy Story | Animation Children's Comedy"
    assert "interactions  100,000" in describe(ds)


# ---------------------------------------------------------------- Amazon


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_amazon_2014_reviews_and_metadata(write: Write) -> None:
    reviews = [
        {
            "reviewerID": "A1",
            "asin": "B1",
            "overall": 5.0,
            "unixReviewTime": 1400000000,
            "reviewTime": "05 13, 2014",
        },
        {"reviewerID": "A2", "asin": "B2", "overall": 2.0, "unixReviewTime": 1300000000},
    ]
    write("Beauty/reviews_Beauty_5.json.gz", gzip.compress(_jsonl(reviews).encode()))
    meta = (
        "{'asin': 'B1', 'title': 'Soap', 'categories': [['Beauty', 'Bath'], ['Beauty', 'Soap']], "
        "'description': 'Nice soap'}\n"
        '{"asin": "B2", "categories": [["Beauty"]]}\n'
    )
    write("Beauty/meta_Beauty.json.gz", gzip.compress(meta.encode()))
    ds = load_dataset(
        data(
            interactions={
                "path": str(write("Beauty/x", "").parent / "reviews_Beauty_5.json.gz"),
                "format": "amazon",
            }
        )
    )
    assert ds.users.to_list() == ["A1", "A2"]
    assert ds.interactions.time.tolist() == [1400000000, 1300000000]
    assert ds.item_title == ["Soap", "B2"]
    assert ds.item_category[0] == "Beauty > Bath; Beauty > Soap"
    assert ds.item_text[0] == "Soap | Beauty > Bath; Beauty > Soap | Nice soap"


def test_amazon_2023_fields_milliseconds_and_parent_asin(write: Write) -> None:
    reviews = [
        {
            "rating": 4.0,
            "asin": "C1",
            "parent_asin": "P1",
            "user_id": "U1",
            "timestamp": 1588687728923,
            "images": [],
        },
        {
            "rating": 1.0,
            "asin": "C2",
            "parent_asin": "P1",
            "user_id": "U2",
            "timestamp": 1588687729000,
            "images": [{"x": 1}],
        },
    ]
    p = write("reviews.jsonl", _jsonl(reviews))
    meta = [
        {
            "parent_asin": "P1",
            "title": "Lamp",
            "main_category": "Home",
            "categories": [],
            "description": ["Bright.", "Warm."],
            "features": ["LED"],
        }
    ]
    m = write("meta.jsonl", _jsonl(meta))
    f = frame(path=str(p), format="amazon")
    assert f["item"].tolist() == ["P1", "P1"] and f["time"].tolist() == [1588687728, 1588687729]
    items = read_items(ItemsSource(path=str(m), format="amazon")).frame
    assert items.to_dict("records") == [
        {"item": "P1", "text": "Lamp | Home | Bright. Warm.", "title": "Lamp", "category": "Home"}
    ]
    spec = ItemsSource(path=str(m), format="amazon", text=["title", "features"])
    assert read_items(spec).frame["text"].tolist() == ["Lamp | LED"]


def test_amazon_odd_types_take_the_slow_path(write: Write) -> None:
    rows = [
        {"reviewerID": 7, "asin": "B1", "unixReviewTime": "1400000000"},
        {"reviewerID": "A2", "asin": "B1", "unixReviewTime": 1400000001},
    ]
    f = frame(path=str(write("r.json", _jsonl(rows))), format="amazon")
    assert f["user"].tolist() == ["7", "A2"] and f["time"].tolist() == [1400000000, 1400000001]


# ---------------------------------------------------------------- SQL


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uid": ["u1", "u2", "u1"],
            "iid": [1, 2, 3],
            "ts": pd.to_datetime(
                ["2021-01-01 00:00:01", "2021-01-01 00:00:00", "2021-01-02 00:00:00"]
            ),
            "stars": [5.0, 3.0, 4.0],
        }
    )


def test_sqlite_table_select_and_quoting(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = sa.create_engine(url)
    _events().to_sql("Events", engine, index=False)
    engine.dispose()
    src = dict(path=url, format="sql", user="uid", item="iid", time="ts", rating="stars")
    f = frame(**src, query="events")  # matched case-insensitively, quoted by SQLAlchemy
    assert f["user"].tolist() == ["u1", "u2", "u1"] and f["item"].tolist() == ["1", "2", "3"]
    assert f["time"].tolist() == [1609459201, 1609459200, 1609545600]
    f = frame(**src, query='SELECT * FROM "Events" WHERE stars >= 4;')
    assert f["item"].tolist() == ["1", "3"]
    with pytest.raises(ConfigError, match="table name"):
        frame(**src, query="Events; DROP TABLE Events")
    assert frame(**src, query="Events").shape[0] == 3  # still there
    ds = load_dataset(data(interactions={**src, "query": "Events"}))
    assert ds.name == "Events"


def _postgres_url() -> str:
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_table() -> Iterator[tuple[str, str]]:
    sa = pytest.importorskip("sqlalchemy")
    url = _postgres_url()
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {url}: {str(exc.orig).splitlines()[0]}")
    name = f"rd_events_{uuid.uuid4().hex[:10]}"
    _events().to_sql(name, engine, index=False)
    try:
        yield url, name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))  # test-made name
        engine.dispose()


@pytest.mark.postgres
def test_postgres_table_and_select(pg_table: tuple[str, str]) -> None:
    url, name = pg_table
    src = dict(path=url, format="sql", user="uid", item="iid", time="ts", rating="stars")
    f = frame(**src, query=name)
    assert f["time"].tolist() == [1609459201, 1609459200, 1609545600]
    f = frame(**src, query=f'SELECT uid, iid, ts, stars FROM "{name}" ORDER BY ts')
    assert f["item"].tolist() == ["2", "1", "3"]
    with pytest.raises(DataError, match="column 'nope'"):
        frame(**{**src, "user": "nope"}, query=name)
