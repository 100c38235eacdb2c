"""Atomic writes: a file or folder appears whole under its final name, or not at all.

Design: every writer in paperkit builds its output under a unique temporary name in the
destination's own folder (``.<name>.<pid>-<random>.tmp``: two processes never collide, and the
final rename stays on one file system), then renames it into place with :func:`os.replace`.
An exception or Ctrl-C (``KeyboardInterrupt``) removes the temporary; nothing half-written is
left on disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_name(dst: Path) -> Path:
    """A unique temporary sibling of ``dst`` (same folder, hidden, pid and random token)."""
    return dst.with_name(f".{dst.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def remove(path: Path) -> None:
    """Remove a file or folder tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def replacing(dst: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success rename it onto ``dst``, else remove it.

    >>> with replacing(Path("out.json")) as tmp:   # doctest: +SKIP
    ...     tmp.write_text("{}")
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(dst)
    try:
        yield tmp
        os.replace(tmp, dst)
    except BaseException:
        remove(tmp)
        raise


def write_text(dst: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``dst`` atomically; return ``dst``."""
    with replacing(dst) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(dst)


def write_bytes(dst: Path, data: bytes) -> Path:
    """Write ``data`` to ``dst`` atomically; return ``dst``."""
    with replacing(dst) as tmp:
        tmp.write_bytes(data)
    return Path(dst)
