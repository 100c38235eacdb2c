"""Output files of the simulator's command line: checked paths and atomic CSV writes.

An output path must be a ``.csv`` file name inside the working directory (relative, or absolute
but resolving inside it), with no ``..`` component and no control characters; its folder must
exist and the path must not be a folder or a link. The file is written to a unique temporary
sibling and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from paperkit.coldstarts import cachefiles


def output_csv_path(text: str) -> Path:
    """``text`` as a safe output path (module doc); ValueError naming the input and the fix."""
    where = f"--per-function {text!r}"
    if not text or any(ord(c) < 32 for c in text):
        raise ValueError(f"{where}: give a file name such as per_function.csv")
    path = Path(text)
    if path.suffix.lower() != ".csv" or ".." in path.parts:
        raise ValueError(f"{where}: give a .csv file name inside the working directory, "
                         "without '..'")
    full = (Path.cwd() / path).resolve() if not path.is_absolute() else path.resolve()
    if not full.is_relative_to(Path.cwd().resolve()):
        raise ValueError(f"{where}: the file must lie inside the working directory "
                         f"({Path.cwd()}); cd there or give a relative path")
    if path.is_symlink() or full.is_dir():
        raise ValueError(f"{where}: is a folder or a link; give a new file name")
    if not full.parent.is_dir():
        raise ValueError(f"{where}: folder {full.parent.name!r} does not exist; create it first")
    return full


def write_csv_atomic(df: pl.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV to ``path`` via a unique temporary sibling and a rename."""
    tmp = cachefiles.temp_sibling(path)
    try:
        df.write_csv(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
