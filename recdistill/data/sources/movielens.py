"""MovieLens in its published layouts (GroupLens).

=============  ==========================================  ==============================
release        ratings                                     movies
=============  ==========================================  ==============================
100K           ``u.data``: ``user item rating timestamp``  ``u.item``: ``|``-separated,
               (tab-separated, no header)                  latin-1, id|title|release date|
                                                           video date|IMDb URL|19 genre flags
1M, 10M        ``ratings.dat``: ``user::item::rating::ts``  ``movies.dat``: ``id::title::genres``
20M, 25M,      ``ratings.csv``: ``userId,movieId,rating,``  ``movies.csv``: ``movieId,title,``
latest         ``timestamp`` (header)                      ``genres`` (header, quoted)
=============  ==========================================  ==============================

``path`` is the release folder or its ratings file. Times are Unix seconds;
every rating is an interaction (use ``min_rating`` for a threshold). The
catalogue has columns ``item_id, title, genres`` (genre names joined with
``|``), and the text a language model reads defaults to ``title | genres``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from recdistill.data.config import InteractionsSource, ItemsSource
from recdistill.data.sources.catalogue import Catalogue
from recdistill.data.sources.common import raw_interactions, read_bytes
from recdistill.data.sources.delimited import header_fields, read_delimited
from recdistill.data.types import RawInteractions
from recdistill.errors import DataError

RATINGS = ("u.data", "ratings.dat", "ratings.csv")
MOVIES = {"u.data": "u.item", "ratings.dat": "movies.dat", "ratings.csv": "movies.csv"}
GENRES_100K = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
_TYPES = {"user_id": pa.string(), "item_id": pa.string(), "rating": pa.float64()}


def ratings_file(path: Path) -> Path:
    """The ratings file of a release folder (or ``path`` itself when it is one)."""
    if not path.exists():
        raise DataError("MovieLens folder or ratings file not found", source=path)
    if path.is_file():
        return path
    for name in RATINGS:
        if (path / name).is_file():
            return path / name
    raise DataError(
        f"no MovieLens ratings file in this folder (expected one of: {', '.join(RATINGS)})",
        source=path,
    )


def movies_file(ratings: Path) -> Path | None:
    """The catalogue that ships beside a ratings file, if present."""
    name = MOVIES.get(ratings.name)
    if name is None or not (ratings.parent / name).is_file():
        return None
    return ratings.parent / name


def _encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"  # 100K and 1M catalogues predate UTF-8
    return "utf-8"


def read_interactions(src: InteractionsSource) -> RawInteractions:
    """Ratings as interactions: ``user``, ``item``, ``time`` (Unix seconds), ``rating``."""
    path = ratings_file(Path(src.path))
    data = read_bytes(path, "a MovieLens ratings file")
    if path.suffix == ".csv":
        names = header_fields(data, sep=",", quoting=True, source=path)
        if names[:4] != ["userId", "movieId", "rating", "timestamp"]:
            raise DataError(
                f"unexpected header {','.join(names)!r}; expected "
                "'userId,movieId,rating,timestamp' (MovieLens 20M/latest layout)",
                source=path,
                line=1,
            )
        names = _COLUMNS + names[4:]
        table = read_delimited(
            data,
            source=path,
            sep=",",
            names=names,
            skip=1,
            want=_COLUMNS,
            types=_TYPES,
            what="MovieLens ratings",
        )
    else:
        sep = "\t" if path.name == "u.data" or b"::" not in data[:4096] else "::"
        table = read_delimited(
            data,
            source=path,
            sep=sep,
            names=_COLUMNS,
            skip=0,
            types=_TYPES,
            quoting=False,
            what="MovieLens ratings (user, item, rating, timestamp)",
        )
    file_order = "time" in src.model_fields_set and src.time is None
    return raw_interactions(
        table.frame,
        user="user_id",
        item="item_id",
        time=None if file_order else "timestamp",
        rating="rating",
        source=path,
        locate=table.locate,
    )


def read_catalogue(spec: ItemsSource) -> Catalogue:
    """The movies file (``u.item``, ``movies.dat`` or ``movies.csv``, or their folder)."""
    path = Path(spec.path)
    if path.is_dir():
        found = movies_file(ratings_file(path))
        if found is None:
            raise DataError(
                "no MovieLens movies file in this folder (expected u.item, movies.dat or "
                "movies.csv)",
                source=path,
            )
        path = found
    data = read_bytes(path, "a MovieLens movies file")
    encoding = _encoding(data)
    if path.suffix == ".csv":
        names = header_fields(data, sep=",", quoting=True, source=path)
        names = ["item_id", *names[1:]]
        table = read_delimited(
            data,
            source=path,
            sep=",",
            names=names,
            skip=1,
            types={n: pa.string() for n in names},
            encoding=encoding,
            what="MovieLens movies",
        )
        frame = table.frame
    elif path.name == "u.item" or (b"|" in data[:4096] and b"::" not in data[:4096]):
        flags = [f"g{i}" for i in range(len(GENRES_100K))]
        names = ["item_id", "title", "release_date", "video_release_date", "imdb_url", *flags]
        table = read_delimited(
            data,
            source=path,
            sep="|",
            names=names,
            skip=0,
            types={n: pa.string() for n in names},
            quoting=False,
            encoding=encoding,
            what="MovieLens 100K movies (u.item)",
        )
        frame = table.frame
        genres = [
            "|".join(g for g, flag in zip(GENRES_100K, row, strict=True) if flag == "1")
            for row in frame[flags].itertuples(index=False)
        ]
        frame = frame.drop(columns=flags).assign(genres=pd.Series(genres, dtype=str))
    else:
        names = ["item_id", "title", "genres"]
        table = read_delimited(
            data,
            source=path,
            sep="::",
            names=names,
            skip=0,
            types={n: pa.string() for n in names},
            quoting=False,
            encoding=encoding,
            what="MovieLens movies (id::title::genres)",
        )
        frame = table.frame
    return Catalogue(
        frame=frame,
        source=str(path),
        locate=table.locate,
        id="item_id",
        text=["title", "genres"],
        title="title",
        category="genres",
    )
