"""Download public datasets (MovieLens 100K / 1M), verify SHA-256, unpack safely.

The archive is streamed to ``DEST/<file>.part`` with a progress bar and hashed
on the way; only a matching SHA-256 is kept (renamed to ``DEST/<file>``) and
unpacked. A mismatch deletes the partial file and is a :class:`DataError`.
Unpacking rejects absolute paths, ``..`` components and links. An archive
already in ``DEST`` with the right checksum is not downloaded again.

The checksums are the SHA-256 of the GroupLens files as published since their
release (both archives are frozen); several independent projects pin the same
values. GroupLens itself publishes MD5 sums only (100K:
``0e33842e24a9c977be4e0107933c0723``, 1M: ``c4d9eecfca2ab87c1945afe126590906``).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from recdistill.errors import ConfigError, DataError

log = logging.getLogger("recdistill.data")

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Archive:
    """A downloadable release: where it lives, its SHA-256, the folder it unpacks to."""

    url: str
    sha256: str
    folder: str


ARCHIVES: dict[str, Archive] = {
    "movielens-100k": Archive(
        url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        sha256="50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        folder="ml-100k",
    ),
    "movielens-1m": Archive(
        url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        sha256="a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        folder="ml-1m",
    ),
}


@dataclass(frozen=True)
class DownloadResult:
    """``path``: the unpacked release folder; ``config_yaml``: a ``data:`` section for it."""

    path: Path
    config_yaml: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, target: Path) -> str:
    """Stream ``url`` into ``target`` with a progress bar; returns the SHA-256."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from recdistill.progress import console

    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with (
                target.open("wb") as out,
                Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    TimeRemainingColumn(),
                    console=console,
                    transient=True,
                    disable=not console.is_terminal,
                ) as progress,
            ):
                task = progress.add_task(f"downloading {target.stem}", total=total)
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    progress.update(task, advance=len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise DataError(f"download failed: {reason}", source=url) from None
    return digest.hexdigest()


def safe_extract(archive: Path, dest: Path) -> None:
    """Unpack a zip into ``dest``, refusing absolute paths, ``..`` and links."""
    root = dest.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename
                parts = PurePosixPath(name.replace("\\", "/")).parts
                mode = info.external_attr >> 16
                if (
                    name.startswith(("/", "\\"))
                    or (parts and ":" in parts[0])
                    or ".." in parts
                    or stat.S_ISLNK(mode)
                ):
                    raise DataError(
                        f"unsafe member {name!r} (absolute path, '..' or link); not unpacking",
                        source=archive,
                    )
                if not (root / name).resolve().is_relative_to(root):
                    raise DataError(
                        f"unsafe member {name!r} escapes the destination", source=archive
                    )
            zf.extractall(root)
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a valid zip archive ({exc})", source=archive) from None


def download(
    name: str, dest: Path, url: str | None = None, *, sha256: str | None = None
) -> DownloadResult:
    """Download release ``name`` into ``dest``, verify it, unpack it, return a config for it.

    ``url`` overrides the address (a mirror, or a ``file://`` URL); ``sha256``
    overrides the expected checksum (tests, private mirrors of other files).
    """
    spec = ARCHIVES.get(name)
    if spec is None:
        raise ConfigError(f"unknown dataset {name!r} (known: {', '.join(ARCHIVES)})")
    source = url or spec.url
    expected = (sha256 or spec.sha256).lower()
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the destination folder ({exc.strerror})", source=dest
        ) from None
    archive = dest / PurePosixPath(spec.url).name
    if archive.is_file() and _sha256(archive) == expected:
        log.info("%s already downloaded and verified", archive)
    else:
        part = archive.with_name(archive.name + ".part")
        got = _fetch(source, part)
        if got != expected:
            part.unlink(missing_ok=True)
            raise DataError(
                f"checksum mismatch: expected sha256 {expected}, got {got} (corrupt or changed "
                "download; nothing was unpacked)",
                source=source,
            )
        shutil.move(part, archive)
        log.info("downloaded %s (sha256 verified)", archive)
    safe_extract(archive, dest)
    folder = dest / spec.folder
    if not folder.is_dir():
        raise DataError(f"the archive did not contain the folder {spec.folder}/", source=archive)
    data = {"name": spec.folder, "interactions": {"path": folder.as_posix(), "format": "movielens"}}
    config = yaml.safe_dump({"data": data}, sort_keys=False)
    return DownloadResult(path=folder, config_yaml=config)
