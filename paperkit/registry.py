"""Public data sets: where they come from, how they are checked, where they are kept.

Design: ``data/registry.toml`` lists every public file (name, URL, sha256, size, licence).
:func:`fetch` returns a verified local path, trying in order:

1. the read-only mirror ``$PAPERKIT_DATA_MIRROR`` (tests and CI use ``../shared/data``):
   used in place, never copied;
2. the cache ``$PAPERKIT_DATA_DIR`` (default ``data/cache``): re-verified; a corrupt or
   truncated file is removed, reported and downloaded again;
3. a download with pooch (progress bar on stderr, temporary file then rename, sha256 check).

Files whose release publishes no hash get the hash of their first download recorded in
``<cache>/registry-hashes.json``; later copies must match it. With ``PAPERKIT_OFFLINE=1``, or
when the network fails, the error names the file, the URL and ``make data``.
:func:`derive_once` builds a derived file (e.g. parquet) once, atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from paperkit import paths

log = logging.getLogger(__name__)

REGISTRY_FILE = paths.ROOT / "data" / "registry.toml"
HASHES_FILE = "registry-hashes.json"


class DataError(RuntimeError):
    """Base class of data-registry errors."""


class DataUnavailable(DataError):
    """A file is in neither the mirror nor the cache and cannot be downloaded now."""


class DataCorrupt(DataError):
    """A file's checksum or size does not match the registry."""


@dataclass(frozen=True)
class Entry:
    """One public file."""

    name: str
    url: str
    sha256: str | None = None
    size: int | None = None
    licence: str = ""
    description: str = ""
    unpack_to: str | None = None
    group: str = "default"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def load_entries(path: Path = REGISTRY_FILE) -> dict[str, Entry]:
    """Parse a registry TOML file into entries by name."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Entry] = {}
    for raw in doc.get("file", []):
        try:
            entry = Entry(**raw)
        except TypeError as exc:
            raise ValueError(f"{path}: bad [[file]] entry {raw.get('name', '?')!r}: {exc}") from None
        out[entry.name] = entry
    return out


class Registry:
    """A set of entries plus the mirror and cache folders they resolve against."""

    def __init__(self, entries: dict[str, Entry] | None = None, *,
                 cache: Path | None = None, mirror: Path | None | bool = True) -> None:
        self.entries = load_entries() if entries is None else entries
        self._cache = cache
        self._mirror = mirror

    @property
    def cache(self) -> Path:
        return self._cache if self._cache is not None else paths.cache_dir()

    @property
    def mirror(self) -> Path | None:
        if self._mirror is True:
            return paths.mirror_dir()
        return self._mirror or None

    def entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise KeyError(f"{name!r} is not in the data registry; known files: "
                           f"{', '.join(sorted(self.entries))}") from None

    # -- recorded hashes for releases that publish none ---------------------------------
    def _recorded(self) -> dict[str, str]:
        f = self.cache / HASHES_FILE
        return json.loads(f.read_text()) if f.exists() else {}

    def _record(self, name: str, digest: str) -> None:
        rec = self._recorded()
        rec[name] = digest
        f = self.cache / HASHES_FILE
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f.name + f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, f)

    def expected_hash(self, entry: Entry) -> str | None:
        return entry.sha256 or self._recorded().get(entry.name)

    def verify(self, entry: Entry, path: Path) -> None:
        """Raise :class:`DataCorrupt` unless ``path`` has the entry's size and hash."""
        size = path.stat().st_size
        if entry.size is not None and size != entry.size:
            raise DataCorrupt(f"{entry.name}: {path} has {size} bytes, expected {entry.size} "
                              "(truncated or wrong file)")
        expected = self.expected_hash(entry)
        if expected is not None:
            got = sha256_of(path)
            if got != expected:
                raise DataCorrupt(f"{entry.name}: {path} has sha256 {got}, expected {expected}")

    # -- fetching ----------------------------------------------------------------------
    def local_path(self, name: str) -> Path | None:
        """A verified local copy (mirror or cache) or None; never downloads."""
        entry = self.entry(name)
        if self.mirror is not None and (self.mirror / name).is_file():
            path = self.mirror / name
            self.verify(entry, path)  # read-only: report, never delete
            return path
        path = self.cache / name
        if path.is_file():
            try:
                self.verify(entry, path)
            except DataCorrupt as exc:
                print(f"paperkit: removing corrupt cached file: {exc}", file=sys.stderr)
                path.unlink()
                return None
            return path
        return None

    def fetch(self, name: str, *, progress: bool = True, timeout: float = 60.0) -> Path:
        """Return a verified local path for ``name``, downloading it if needed."""
        entry = self.entry(name)
        path = self.local_path(name)
        if path is not None:
            return path
        target = self.cache / name
        hint = (f"run `make data` while online, or set PAPERKIT_DATA_MIRROR to a folder "
                f"holding {name}")
        if os.environ.get("PAPERKIT_OFFLINE", "") not in ("", "0"):
            raise DataUnavailable(f"{name} is not cached and PAPERKIT_OFFLINE is set; "
                                  f"it downloads from {entry.url}; {hint}")
        self._download(entry, target, progress=progress, timeout=timeout, hint=hint)
        return target

    def _download(self, entry: Entry, target: Path, *, progress: bool, timeout: float,
                  hint: str) -> None:
        import pooch
        import requests

        target.parent.mkdir(parents=True, exist_ok=True)
        expected = self.expected_hash(entry)
        downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
        try:
            pooch.retrieve(entry.url, known_hash=None if expected is None else f"sha256:{expected}",
                           fname=target.name, path=target.parent, downloader=downloader)
        except ValueError as exc:  # pooch: hash mismatch (the download is already removed)
            _remove(target)
            raise DataCorrupt(f"{entry.name}: download from {entry.url} failed its checksum "
                              f"({exc}); nothing was kept") from None
        except (requests.exceptions.RequestException, OSError) as exc:
            _remove(target)
            raise DataUnavailable(f"could not download {entry.name} from {entry.url} "
                                  f"({type(exc).__name__}: {exc}); {hint}") from None
        try:
            self.verify(entry, target)
        except DataCorrupt:
            _remove(target)
            raise
        if expected is None:
            digest = sha256_of(target)
            self._record(entry.name, digest)
            print(f"paperkit: recorded sha256 {digest} for {entry.name} (first download)",
                  file=sys.stderr)

    def unpack(self, name: str, *, progress: bool = True) -> Path:
        """Fetch a zip archive and extract it once under ``<cache>/<unpack_to>``."""
        entry = self.entry(name)
        if not entry.unpack_to:
            raise ValueError(f"{name} is not an archive (no unpack_to in the registry)")
        dest = self.cache / entry.unpack_to
        marker = dest / f".unpacked-{Path(name).name}"
        if marker.exists():
            return dest
        archive = self.fetch(name, progress=progress)
        tmp = dest.parent / f".{dest.name}.unpack{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
            for item in sorted(tmp.rglob("*")):
                if item.is_file():
                    rel = item.relative_to(tmp)
                    out = dest / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(item, out)
            marker.write_text((entry.sha256 or self._recorded().get(name, "")) + "\n")
        except zipfile.BadZipFile:
            raise DataCorrupt(f"{name}: {archive} is not a valid zip archive; delete it and "
                              "run `make data` again") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


_default: Registry | None = None


def default() -> Registry:
    """The registry of ``data/registry.toml`` (mirror and cache from the environment)."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def fetch(name: str, *, progress: bool = True) -> Path:
    """A verified local path to public file ``name`` (see the module docstring)."""
    return default().fetch(name, progress=progress)


def derive_once(src: Path | None, dst: Path, build: Callable[[Path], None]) -> Path:
    """Build ``dst`` by calling ``build(tmp_path)`` once, then rename into place.

    Rebuilt when ``dst`` is missing or older than ``src``. A failed build leaves nothing.
    """
    if dst.exists() and (src is None or dst.stat().st_mtime >= src.stat().st_mtime):
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    try:
        build(tmp)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
    return dst


def main(argv: list[str] | None = None) -> int:
    """``python -m paperkit.registry [GROUP ...]``: fetch every file of the named groups."""
    import argparse

    reg = default()
    groups = sorted({e.group for e in reg.entries.values()})
    ap = argparse.ArgumentParser(prog="python -m paperkit.registry",
                                 description="Download and verify paperkit's public data sets.")
    ap.add_argument("groups", nargs="*", default=["default"],
                    help=f"groups to fetch (default: default; known: {', '.join(groups)})")
    ap.add_argument("--list", action="store_true", help="list the files and where they are")
    args = ap.parse_args(argv)
    bad = [g for g in args.groups if g not in groups]
    if bad:
        ap.error(f"unknown group(s) {', '.join(bad)}; known: {', '.join(groups)}")
    if args.list:
        for e in sorted(reg.entries.values(), key=lambda e: e.name):
            where = reg.local_path(e.name)
            print(f"{e.group:18} {e.name:52} {'ok ' + str(where) if where else 'missing'}")
        return 0
    failed = 0
    for e in sorted(reg.entries.values(), key=lambda e: e.name):
        if e.group not in args.groups:
            continue
        try:
            path = reg.unpack(e.name) if e.unpack_to else reg.fetch(e.name)
            print(f"ok       {e.name} -> {path}")
        except DataError as exc:
            failed += 1
            print(f"FAILED   {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
