"""Downloads against a local HTTP server and file:// URLs only (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import yaml

from recdistill.config import parse_config
from recdistill.data import download as dl
from recdistill.data import load_dataset
from recdistill.errors import ConfigError, DataError

Cli = Callable[..., tuple[int, str, str]]
U_DATA = "1\t10\t5\t881250949\n2\t10\t3\t881250950\n2\t20\t4\t881250951\n"
U_ITEM = "10|Toy Story (1995)|x||u|" + "|".join("0001" + "0" * 15) + "\n"


def make_zip(path: Path, members: dict[str, str]) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return hashlib.sha256(path.read_bytes()).hexdigest()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A fake ml-100k.zip served over HTTP on 127.0.0.1: ``(url, sha256)``."""
    root = tmp_path / "www"
    root.mkdir()
    digest = make_zip(root / "ml-100k.zip", {"ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM})
    handler = partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/ml-100k.zip", digest
    finally:
        server.shutdown()
        server.server_close()


def test_known_checksums_are_sha256() -> None:
    for spec in dl.ARCHIVES.values():
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.url.startswith("https://files.grouplens.org/datasets/movielens/")


def test_download_verifies_unpacks_and_prints_a_working_config(
    served: tuple[str, str], tmp_path: Path
) -> None:
    url, digest = served
    dest = tmp_path / "data"
    result = dl.download("movielens-100k", dest, url=url, sha256=digest)
    assert result.path == dest / "ml-100k" and (result.path / "u.data").is_file()
    assert (dest / "ml-100k.zip").is_file() and not (dest / "ml-100k.zip.part").exists()
    cfg = parse_config(yaml.safe_load(result.config_yaml), "printed config")
    assert cfg.data.interactions.format == "movielens"
    ds = load_dataset(cfg.data)
    assert (ds.n_users, ds.n_items, ds.item_title) == (2, 2, ["Toy Story (1995)", "20"])
    # already downloaded and verified: no second fetch (a dead URL would fail)
    again = dl.download("movielens-100k", dest, url="http://127.0.0.1:9/x.zip", sha256=digest)
    assert again.path == result.path


def test_checksum_mismatch_is_a_clear_error_and_leaves_nothing(
    served: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = served
    dest = tmp_path / "data"
    with pytest.raises(DataError, match=r"checksum mismatch: expected sha256 0{64}, got"):
        dl.download("movielens-100k", dest, url=url, sha256="0" * 64)
    assert sorted(p.name for p in dest.iterdir()) == []


def test_file_url_and_unsafe_members(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    digest = make_zip(good, {"ml-1m/ratings.dat": "1::2::3::4\n"})
    result = dl.download("movielens-1m", tmp_path / "d", url=good.as_uri(), sha256=digest)
    assert (result.path / "ratings.dat").read_text() == "1::2::3::4\n"
    for name in ("../evil.txt", "/abs/evil.txt", "ml-1m/../../evil.txt"):
        bad = tmp_path / "bad.zip"
        digest = make_zip(bad, {"ml-1m/ok.txt": "", name: "x"})
        with pytest.raises(DataError, match="unsafe member"):
            dl.download("movielens-1m", tmp_path / "e", url=bad.as_uri(), sha256=digest)
    assert not (tmp_path / "evil.txt").exists() and not Path("/abs/evil.txt").exists()


def test_unknown_name_and_unreachable_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown dataset 'netflix'"):
        dl.download("netflix", tmp_path)
    with pytest.raises(DataError, match="download failed"):
        dl.download("movielens-100k", tmp_path, url=(tmp_path / "none.zip").as_uri())


def test_cli_download_prints_config(
    served: tuple[str, str], tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, digest = served
    monkeypatch.setitem(dl.ARCHIVES, "movielens-100k", dl.Archive(url, digest, "ml-100k"))
    code, out, err = cli("data", "download", "movielens-100k", "--dest", tmp_path / "d")
    assert code == 0, err
    assert yaml.safe_load(out)["data"]["interactions"]["path"].endswith("d/ml-100k")
    monkeypatch.setitem(dl.ARCHIVES, "movielens-100k", dl.Archive(url, "1" * 64, "ml-100k"))
    code, _, err = cli("data", "download", "movielens-100k", "--dest", tmp_path / "e")
    assert code == 2 and "checksum mismatch" in err and len(err.strip().splitlines()) == 1
