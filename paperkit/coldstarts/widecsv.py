"""Sparse reader of the release's wide per-minute files (``day,time,<funcID>...``).

Design: a per-minute file has 1,440 rows and one column per function (thousands), and almost all
of its cells are empty. A general CSV reader builds one column per function and then drops the
empty cells; this reader instead finds the field delimiters with numpy (one pass over the bytes),
keeps only the non-empty fields and parses just those. Cost is one scan of the file plus work
proportional to the non-empty cells, so wide, sparse files convert many times faster (and the
function population of a trace no longer dominates the conversion time).

Contract (the same as the release's CSV): comma-separated, ``\\n`` or ``\\r\\n`` line ends, no
quoted values; the header may quote names; pandas index columns (``""``, ``Unnamed: 0``) are
dropped; an empty cell or ``nan`` is no data. A row with the wrong number of fields or a value
that is not a number raises ``ValueError`` naming the file, the line (1-based, header = 1), the
column and the fix; so does a value outside the series rules (day an integer in 0..30, time finite
and >= 0, values finite and >= 0, counts integers). Output rows are in column-major order (function, then minute), like
``unpivot``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from paperkit.coldstarts import N_DAYS, schema

_COMMA, _NL = ord(","), ord("\n")


def _body(raw: bytes, csv: Path) -> tuple[list[str], np.ndarray]:
    """(header names, the body's bytes ending with exactly one newline)."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    end = raw.find(b"\n")
    try:
        head = raw[: end if end >= 0 else len(raw)].decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{csv} {schema.not_text_problem(csv)}") from None
    if not head.strip():
        raise ValueError(f"{csv}: empty file, expected a CSV header")
    names = schema.parse_header(head)
    stop = len(raw)
    while stop > end + 1 and raw[stop - 1] == _NL:   # trailing blank lines
        stop -= 1
    if end < 0 or stop <= end + 1:
        return names, np.zeros(0, dtype=np.uint8)
    body = np.empty(stop - end, dtype=np.uint8)       # the rows + one final newline
    body[:-1] = np.frombuffer(raw, dtype=np.uint8, count=stop - end - 1, offset=end + 1)
    body[-1] = _NL
    return names, body


def _check_rows(csv: Path, body: np.ndarray, value_pos: np.ndarray, n_cols: int) -> int:
    """Number of rows; ValueError naming the first line whose field count is not ``n_cols``.
    A newline at byte p ends field number p - (value bytes before p)."""
    nl = np.flatnonzero(body == _NL)
    last_field = nl - np.searchsorted(value_pos, nl)
    counts = np.diff(last_field, prepend=-1)
    bad = np.flatnonzero(counts != n_cols)
    if bad.size:
        raise ValueError(f"{csv}: line {int(bad[0]) + 2} has {int(counts[bad[0]])} fields, the "
                         f"header has {n_cols}; fix or delete that line (the file may be damaged: "
                         "extract it again)")
    return nl.size


def _cells(body: np.ndarray, value_pos: np.ndarray) -> tuple[np.ndarray, bytes]:
    """(field number of each non-empty cell, the cells' text one per line). The field number of a
    value byte at p is the count of delimiters before it: p - (value bytes before p)."""
    field_of_byte = value_pos - np.arange(value_pos.size)
    new = np.ones(value_pos.size, dtype=bool)
    new[1:] = field_of_byte[1:] != field_of_byte[:-1]
    cell_of_byte = np.cumsum(new) - 1
    text = np.full(value_pos.size + int(new.sum()), _NL, dtype=np.uint8)
    text[np.arange(value_pos.size) + cell_of_byte] = body[value_pos]
    return field_of_byte[new], text.tobytes()


def _values(csv: Path, text: bytes, field: np.ndarray, names: list[str]) -> np.ndarray:
    """The numbers of the cells in ``text`` (one per line) as float64; ValueError naming the line
    and the column of the first one that is not a number."""
    if not field.size:
        return np.zeros(0)
    try:
        return pl.read_csv(text, has_header=False, new_columns=["v"],
                           schema_overrides={"v": pl.Float64})["v"].to_numpy()
    except pl.exceptions.PolarsError:
        pass
    for i, c in enumerate(text.split(b"\n")[: field.size]):
        try:
            float(c)
        except ValueError:
            row, col = divmod(int(field[i]), len(names))
            raise ValueError(f"{csv}: line {row + 2}, column {names[col]!r}: "
                             f"{c.decode(errors='replace')!r} is not a number; fix the value or "
                             "delete the row") from None
    raise ValueError(f"{csv}: a value does not parse as a number; check the file")


def _first_bad(csv: Path, what: str, bad: np.ndarray, rows: np.ndarray, shown: np.ndarray,
               column: list[str] | str) -> None:
    """ValueError naming the first line (in file order) where ``bad`` holds, if any."""
    if not bad.any():
        return
    i = np.flatnonzero(bad)[np.argmin(rows[bad])]
    name = column if isinstance(column, str) else column[i]
    raise ValueError(f"{csv}: line {int(rows[i]) + 2}, column {name!r}: {float(shown[i])!r} is not "
                     f"{what}; fix the value or delete the row (the file may be damaged: extract "
                     "it again)")


def _check_series(csv: Path, names: list[str], day: np.ndarray, time: np.ndarray,
                  row: np.ndarray, col: np.ndarray, values: np.ndarray, keep: np.ndarray,
                  counts: bool) -> None:
    """The series rules: day an integer in 0..N_DAYS-1, time finite and >= 0, each value finite
    and >= 0, and for a count series (``counts``) an integer."""
    rows = np.arange(day.size)
    _first_bad(csv, f"a day in 0..{N_DAYS - 1}", ~((day >= 0) & (day <= N_DAYS - 1)
               & (day == np.round(day))), rows, day, "day")
    _first_bad(csv, "a time >= 0 s", ~(np.isfinite(time) & (time >= 0)), rows, time, "time")
    v = values[keep]
    bad = ~(np.isfinite(v) & (v >= 0))
    if counts:
        bad |= np.isfinite(v) & (v != np.round(v))
    what = "a non-negative integer count" if counts else "a finite non-negative value"
    _first_bad(csv, what, bad, row[keep], v, [names[c] for c in col[keep]] if bad.any() else [])


def read_wide_long(csv: str | Path, *, counts: bool = False) -> pl.DataFrame:
    """Non-empty cells of one wide per-minute file: columns day (int), time (s, rounded to int),
    funcID, value (float; NaN cells dropped), in column-major order. Checked by
    :func:`_check_series` (``counts``: a count series, whose values are integers)."""
    csv = Path(csv)
    names, body = _body(csv.read_bytes(), csv)
    data = [i for i, c in enumerate(names) if not schema.is_index_column(c)]
    if [names[i] for i in data[:2]] != ["day", "time"]:
        raise ValueError(f"{csv}: the first columns must be 'day', 'time' (then one column per "
                         f"funcID), got {[names[i] for i in data[:2]]}")
    n_cols = len(names)
    value_pos = np.flatnonzero((body != _COMMA) & (body != _NL))
    n_rows = _check_rows(csv, body, value_pos, n_cols)
    field, text = _cells(body, value_pos)
    values = _values(csv, text, field, names)
    row, col = np.divmod(field, n_cols)
    day, time = np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    day[row[col == data[0]]] = values[col == data[0]]
    time[row[col == data[1]]] = values[col == data[1]]
    if n_rows and (np.isnan(day).any() or np.isnan(time).any()):
        line = int(np.flatnonzero(np.isnan(day) | np.isnan(time))[0]) + 2
        raise ValueError(f"{csv}: line {line} has no 'day' or 'time'; fix or delete that line")
    keep = np.isin(col, np.array(data[2:], dtype=np.int64)) & ~np.isnan(values)
    _check_series(csv, names, day, time, row, col, values, keep, counts)
    order = np.lexsort((row[keep], col[keep]))        # column-major, like unpivot
    r, c, v = row[keep][order], col[keep][order], values[keep][order]
    return pl.DataFrame({
        "day": day[r].astype(np.int64),
        "time": np.round(time[r]).astype(np.int64),
        "funcID": pl.Series(names, dtype=pl.String).gather(c),
        "value": v,
    })
