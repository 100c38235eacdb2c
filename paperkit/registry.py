"""Public data sets: where they come from, how they are checked, where they are kept.

Design: ``data/registry.toml`` lists every public file (name, URL pinned to a commit where the
host has commits, sha256, size, licence). :func:`fetch` returns a verified local path, trying in
order:

1. the repository's own copy under ``data/public/<name>`` (entries with ``committed = true``: the
   small files the default run needs, with their licence notices): verified, used in place; a
   copy that fails its checksum stops the run with the fix (``git checkout``);
2. an opt-in read-only mirror ``$PAPERKIT_DATA_MIRROR`` (never picked up automatically):
   used in place, never copied;
3. the cache ``$PAPERKIT_DATA_DIR`` (default ``data/cache``): re-verified; a corrupt or
   truncated file is removed, reported and downloaded again;
4. a streamed download (progress bar on stderr, temporary file then rename; more bytes than the
   registry's ``size`` stop it at once; then the sha256 and a format check by suffix: an HTML
   error page is never kept),
   only when downloads are allowed: paperkit is **offline by default**. ``make data`` (this
   module's CLI) downloads; so does any call with ``PAPERKIT_OFFLINE=0``. Otherwise the error
   names the file, its URL and ``make data``.

Files whose release publishes no hash get the hash of their first download recorded in
``<cache>/registry-hashes.json``, only once that download passed its size and format checks; a
mismatch names that file and how to clear the entry. Later copies must match it (a corrupt hash file is reported
and set aside, never trusted). ``make data`` also re-downloads the committed files into the
cache and checks them against the same sha256. Every file opened is noted in
:mod:`paperkit.provenance`. :func:`derive_once` builds a derived file (e.g. parquet) once,
atomically.
"""

from __future__ import annotations

import argparse
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

import requests

from paperkit import atomic, paths, provenance
from paperkit.cli import UserError, exit_on_bad_input

log = logging.getLogger(__name__)

REGISTRY_FILE = paths.ROOT / "data" / "registry.toml"
HASHES_FILE = "registry-hashes.json"


class DataError(UserError, RuntimeError):
    """Base class of data-registry errors (a user error: one line, exit 2, at any CLI)."""


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
    committed: bool = False
    """True for the small files kept in the repository under ``data/public/<name>``."""
    transcribed: bool = False
    """True when the committed file is a transcription (e.g. a table copied into CSV) of the
    document at ``url``: ``make data`` then checks the committed copy, it cannot re-download it."""


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
                 cache: Path | None = None, mirror: Path | None | bool = True,
                 public: Path | None = None, offline: bool | None = None) -> None:
        self.entries = load_entries() if entries is None else entries
        self._cache = cache
        self._mirror = mirror
        self.public = public if public is not None else paths.public_dir()
        self._offline = offline

    @property
    def offline(self) -> bool:
        """Downloads forbidden? Explicit ``offline=``, else ``$PAPERKIT_OFFLINE`` (default on)."""
        if self._offline is not None:
            return self._offline
        return os.environ.get("PAPERKIT_OFFLINE", "1").strip().lower() not in ("0", "false", "no")

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
        if not f.exists():
            return {}
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
            if not (isinstance(rec, dict) and all(
                    isinstance(k, str) and isinstance(v, str) and len(v) == 64
                    for k, v in rec.items())):
                raise ValueError("not a {name: sha256} table")
        except (ValueError, UnicodeDecodeError) as exc:
            bad = f.with_name(f.name + ".corrupt")
            os.replace(f, bad)
            print(f"paperkit: {f} is corrupt ({exc}); moved to {bad.name}. Hashes of files "
                  "without a published sha256 will be recorded again on their next download.",
                  file=sys.stderr)
            return {}
        return rec

    def _record(self, name: str, digest: str) -> None:
        rec = self._recorded()
        rec[name] = digest
        atomic.write_text(self.cache / HASHES_FILE, json.dumps(rec, indent=1, sort_keys=True) + "\n")

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
                raise DataCorrupt(f"{entry.name}: {path} has sha256 {got}, expected "
                                  f"{expected}{self._hash_origin(entry)}")

    # -- fetching ----------------------------------------------------------------------
    def local_path(self, name: str) -> Path | None:
        """A verified local copy (repository, mirror or cache) or None; never downloads."""
        entry = self.entry(name)
        path = self._local(entry)
        if path is not None:
            provenance.note_input("public", name=name, sha256=self.expected_hash(entry) or
                                  sha256_of(path))
        return path

    def _local(self, entry: Entry) -> Path | None:
        name = entry.name
        if entry.committed and (self.public / name).is_file():
            path = self.public / name
            try:
                self.verify(entry, path)
            except DataCorrupt as exc:
                raise DataCorrupt(f"{exc}. This file is part of the repository: restore it with "
                                  f"`git checkout -- {_rel(path)}`") from None
            return path
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

    def fetch(self, name: str, *, progress: bool = True, timeout: float = 60.0,
              refetch: bool = False) -> Path:
        """Return a verified local path for ``name``, downloading it if allowed and needed.

        ``refetch=True`` downloads into the cache even when a local copy exists (``make
        data`` uses it to check that the committed copies still match their public origin).
        """
        entry = self.entry(name)
        if not refetch:
            path = self.local_path(name)
            if path is not None:
                return path
        target = self.cache / name
        if self.offline:
            where = (f"it belongs in the repository at {_rel(self.public / name)} (restore it with "
                     f"`git checkout -- {_rel(self.public / name)}`), or "
                     if entry.committed else "")
            raise DataUnavailable(
                f"{name} is not available offline: {where}download it from {entry.url} with "
                f"`make data{'' if entry.group == 'default' else ' GROUPS=' + entry.group}` "
                "(paperkit downloads only through `make data`, or when PAPERKIT_OFFLINE=0)")
        if refetch:
            _remove(target)
        hint = (f"run `make data{'' if entry.group == 'default' else ' GROUPS=' + entry.group}` "
                f"again when online")
        self._download(entry, target, progress=progress, timeout=timeout, hint=hint)
        provenance.note_input("public", name=name, sha256=self.expected_hash(entry))
        return target

    def _download(self, entry: Entry, target: Path, *, progress: bool, timeout: float,
                  hint: str) -> None:
        """Stream ``entry`` into a temporary sibling of ``target`` (``size`` enforced while
        streaming), check its hash and its format, then rename it into place; only then is the
        hash of a file without a published one recorded."""
        target.parent.mkdir(parents=True, exist_ok=True)
        expected = self.expected_hash(entry)
        tmp = atomic.temp_name(target)
        try:
            try:
                digest = _stream(entry, tmp, progress=progress, timeout=timeout)
            except (requests.exceptions.RequestException, OSError) as exc:
                raise DataUnavailable(f"could not download {entry.name} from {entry.url} "
                                      f"({type(exc).__name__}: {exc}); {hint}") from None
            if expected is not None and digest != expected:
                raise DataCorrupt(f"{entry.name}: the download from {entry.url} failed its checksum: sha256 "
                                  f"{digest}, expected {expected}{self._hash_origin(entry)}; "
                                  "nothing was kept")
            why = format_problem(entry.name, tmp)
            if why:
                raise DataCorrupt(f"{entry.name}: the download from {entry.url} {why}; nothing "
                                  f"was kept and no hash was recorded; {hint}")
            os.replace(tmp, target)
        finally:
            _remove(tmp)
        if expected is None:
            self._record(entry.name, digest)
            print(f"paperkit: recorded sha256 {digest} for {entry.name} (first download) in "
                  f"{self.cache / HASHES_FILE}", file=sys.stderr)

    def _hash_origin(self, entry: Entry) -> str:
        """Where an expected hash comes from, and how to clear it when it was recorded here."""
        if entry.sha256:
            return ""
        return (f" (recorded at the first download in {self.cache / HASHES_FILE}; if that "
                f"download was wrong, delete the {entry.name!r} entry from that file, or the "
                "file, and run `make data` again)")

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
        tmp = atomic.temp_name(dest)
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
            for item in sorted(tmp.rglob("*")):
                if item.is_file():
                    rel = item.relative_to(tmp)
                    out = dest / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(item, out)
            atomic.write_text(marker, (entry.sha256 or self._recorded().get(name, "")) + "\n")
        except zipfile.BadZipFile:
            raise DataCorrupt(f"{name}: {archive} is not a valid zip archive; delete it and "
                              "run `make data` again") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest


def _stream(entry: Entry, tmp: Path, *, progress: bool, timeout: float) -> str:
    """Download ``entry.url`` into ``tmp``; its sha256. Stops as soon as the server announces or
    sends more than ``entry.size`` bytes (:class:`DataCorrupt`) and when it sends fewer than it
    announced (:class:`DataUnavailable`)."""
    h, n = hashlib.sha256(), 0
    with requests.get(entry.url, stream=True, timeout=timeout) as r:
        r.raise_for_status()
        announced = r.headers.get("Content-Length", "")
        length = int(announced) if announced.isdigit() else None
        if entry.size is not None and length is not None and length != entry.size:
            raise DataCorrupt(f"{entry.name}: {entry.url} announces {length} bytes, the registry "
                              f"says {entry.size}; refused before downloading (a wrong URL or an "
                              "error page?)")
        bar = _progress(progress, length or entry.size, entry.name)
        with open(tmp, "wb") as f:
            for chunk in r.iter_content(1 << 20):
                n += len(chunk)
                if entry.size is not None and n > entry.size:
                    raise DataCorrupt(f"{entry.name}: {entry.url} sent more than the registry's "
                                      f"{entry.size} bytes; stopped, nothing was kept")
                h.update(chunk)
                f.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if bar is not None:
            bar.close()
    if (length is not None and n != length) or (entry.size is not None and n != entry.size):
        raise DataUnavailable(f"{entry.name}: the transfer from {entry.url} stopped after {n} "
                              f"bytes of {length or entry.size}; run `make data` again")
    return h.hexdigest()


def _progress(enabled: bool, total: int | None, name: str):
    """A tqdm bar on stderr, or None when disabled or unavailable."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False)


_HTML = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")


def format_problem(name: str, path: Path) -> str | None:
    """Why the file at ``path`` is not a file of the kind ``name`` says (by its suffix): an HTML
    page (a login or error page served with status 200), not a zip, not UTF-8 text, not JSON,
    not parquet; None when it looks right."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.lstrip()[:16].lower().startswith(_HTML):
        return "is an HTML page, not the data file (an error or login page?)"
    suffix = Path(name).suffix.lower()
    if suffix == ".zip" and not zipfile.is_zipfile(path):
        return "is not a zip archive"
    if suffix == ".parquet" and not head.startswith(b"PAR1"):
        return "is not a parquet file"
    if suffix in (".csv", ".tsv", ".txt", ".json", ".toml", ".md"):
        cut = head if len(head) < (1 << 16) else head[: head.rfind(b"\n") + 1]
        try:
            text = cut.decode("utf-8")
        except UnicodeDecodeError:
            return "is not UTF-8 text"
        if suffix == ".json" and len(head) < (1 << 16):
            try:
                json.loads(text)
            except ValueError:
                return "is not valid JSON"
    return None


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _rel(path: Path) -> str:
    return str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)


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


def public_path(name: str) -> Path:
    """The verified repository copy of committed file ``name`` (``data/public/<name>``).

    Never falls back to anything else: a missing or altered file stops with the fix."""
    reg = default()
    entry = reg.entry(name)
    if not entry.committed:
        raise ValueError(f"{name} is not a committed file of the registry")
    path = reg.public / name
    if not path.is_file():
        raise DataUnavailable(f"{_rel(path)} is missing from the repository; restore it with "
                              f"`git checkout -- {_rel(path)}` (public origin: {entry.url})")
    return reg.local_path(name) or path


def derive_once(src: Path | None, dst: Path, build: Callable[[Path], None]) -> Path:
    """Build ``dst`` by calling ``build(tmp_path)`` once, then rename into place.

    Rebuilt when ``dst`` is missing or older than ``src``. A failed build leaves nothing.
    """
    if dst.exists() and (src is None or dst.stat().st_mtime >= src.stat().st_mtime):
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic.temp_name(dst)
    try:
        build(tmp)
        os.replace(tmp, dst)
    finally:
        atomic.remove(tmp)
    return dst


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    """``python -m paperkit.registry [GROUP ...]``: download and verify every file of the named
    groups (the committed files are downloaded again and checked against the same sha256)."""
    reg = Registry(offline=False)
    groups = sorted({e.group for e in reg.entries.values()})
    ap = argparse.ArgumentParser(prog="python -m paperkit.registry",
                                 description="Download and verify paperkit's public data sets.")
    ap.add_argument("groups", nargs="*", default=["default"],
                    help=f"groups to fetch (default: default; known: {', '.join(groups)})")
    ap.add_argument("--list", action="store_true", help="list the files and where they are")
    ap.add_argument("--from-make", action="store_true", help="the groups came from make's GROUPS=")
    args = ap.parse_args(argv)
    bad = [g for g in args.groups if g not in groups]
    if bad:
        what = f"GROUPS={' '.join(args.groups)!r}: " if args.from_make else ""
        raise UserError(f"{what}unknown group(s) {', '.join(map(repr, bad))}; known: "
                        f"{', '.join(groups)}")
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
            if e.unpack_to:
                path = reg.unpack(e.name)
            elif e.transcribed:
                path = reg.fetch(e.name)
                print(f"ok       {e.name} -> {path} (a transcription of {e.url}: the committed "
                      "copy was checked; it cannot be downloaded byte for byte)")
                continue
            else:
                path = reg.fetch(e.name, refetch=e.committed)
            same = " (identical to the committed copy)" if e.committed else ""
            print(f"ok       {e.name} -> {path}{same}")
        except DataError as exc:
            failed += 1
            print(f"FAILED   {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
