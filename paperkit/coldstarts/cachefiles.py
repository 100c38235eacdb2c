"""Cache integrity helpers of the cold-start package: unique temporary names, content digests.

Design: every cache file or folder is written under a unique temporary sibling name
(``.<name>.tmp<pid>.<random token>``, created exclusively, so two processes or threads never
share one) and renamed into place. What was written is recorded as size + SHA-256, and a cache is
re-used only while its content still has that digest. A digest is computed once per process per
file version (keyed by path, inode, size, mtime and ctime), so re-checks in one session cost a ``stat``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from pathlib import Path

_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}


def temp_sibling(path: Path, *, folder: bool = False, tag: str = "tmp") -> Path:
    """A new, empty, uniquely named sibling of ``path`` (``.<name>.<tag><pid>.<token>``):
    a file (created exclusively, mode from the umask) or, with ``folder``, a directory."""
    path = Path(path)
    while True:
        tmp = path.with_name(f".{path.name}.{tag}{os.getpid()}.{secrets.token_hex(4)}")
        try:
            if folder:
                tmp.mkdir()
            else:
                os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a unique temporary sibling and a rename."""
    tmp = temp_sibling(path)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_digest(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes; memoised per process by (path, inode, size, mtime,
    ctime): the kernel sets ctime on every write and ``utime``, so an edit that keeps the size
    and restores the mtime is hashed again."""
    st = os.stat(path)
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _DIGESTS:
        with open(path, "rb") as f:
            _DIGESTS[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _DIGESTS[key]


def file_record(path: Path) -> dict:
    """``{"size": bytes, "sha256": hex}`` of a file."""
    return {"size": os.stat(path).st_size, "sha256": file_digest(path)}


def file_problem(path: Path, record: object) -> str | None:
    """Why ``path`` does not match ``record`` (:func:`file_record`), or None when it does."""
    if not isinstance(record, dict) or not {"size", "sha256"} <= set(record):
        return "has no valid content record"
    if not path.is_file():
        return "is missing"
    if path.stat().st_size != record["size"]:
        return f"has {path.stat().st_size} bytes, {record['size']} were written (truncated?)"
    if file_digest(path) != record["sha256"]:
        return "does not have the content that was written (checksum mismatch)"
    return None


def tree_record(root: Path) -> dict[str, dict]:
    """Content record of every file under ``root``: ``{relative path: file_record}``."""
    return {p.relative_to(root).as_posix(): file_record(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def tree_problem(root: Path, record: object) -> str | None:
    """Why the files under ``root`` differ from ``record`` (:func:`tree_record`): a missing, extra,
    truncated or changed file, named; None when all match."""
    if not isinstance(record, dict) or not record:
        return "has no valid content record"
    have = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    missing = sorted(set(record) - have)
    if missing:
        return f"is incomplete: {len(missing)} file(s) missing, e.g. {missing[0]}"
    extra = sorted(have - set(record))
    if extra:
        return f"has {len(extra)} file(s) the generator did not write, e.g. {extra[0]}"
    for rel in sorted(record):
        why = file_problem(root / rel, record[rel])
        if why:
            return f"is corrupt: {rel} {why}"
    return None


def note(message: str) -> None:
    """One line on stderr, prefixed ``paperkit:`` (cache rebuilds and similar notices)."""
    print(f"paperkit: {message}", file=sys.stderr, flush=True)
