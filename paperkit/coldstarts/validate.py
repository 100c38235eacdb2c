"""Row validation of the cold-start CSVs (``cold_start/R{n}/day_XX.csv``, the release's README).

Design: each rule is a polars expression that is true on an invalid row, listed in priority order
(a row is counted under its first failing rule). The loader runs them once per file, when it
converts the CSV to the parquet cache; in the common case (every row valid) that is one pass of
boolean expressions, no Python loop over rows. Only when a rule fires are the reasons labelled and
counted and the first few offending lines formatted for the message.

Line numbers are 1-based lines of the CSV file: row index + 2 (line 1 is the header; polars reads a
blank line as a row of nulls, so this holds for every file without a quoted field spanning lines,
which the release never has).

Rounding rule (:data:`schema.COMPONENT_SUM_TOL_S`): the release writes ``totalCost_cold_start`` with
6 decimals and the four components at ~9 (pod allocation, scheduling) or 3 (deploy code and
dependency) decimals, the total being the rounded sum; so ``|sum(components) - total| <= 0.5 µs``,
plus 1 ns for the components' own rounding and float parsing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from paperkit.coldstarts import N_DAYS, schema

ON_INVALID: tuple[str, ...] = ("raise", "drop")
MAX_EXAMPLES = 3
CUT_SHORT = "row cut short (fewer fields than the header)"
CUT_LAST = "last line cut (no final newline, podID incomplete)"
TOO_LONG = "more fields than the header"
COMPONENT_SUM = "components do not add up to totalCost_cold_start"
DAY_RANGE = f"day outside 0..{N_DAYS - 1}"
DAY_FILE = "day does not match the file name"
DUPLICATE = "duplicate row"
COSTS: tuple[str, ...] = ("totalCost_cold_start", *schema.COMPONENTS)
FIX = ("fix or delete these rows (a damaged file: extract it again from the release zip), or drop "
       "them with on_invalid='drop' (CLI: `python -m paperkit.coldstarts summarize --drop-invalid "
       "DATA_DIR`), which drops invalid rows and reports how many and why")


class InvalidRowsError(ValueError):
    """A cold-start CSV has invalid rows; ``counts`` maps each reason to its number of rows."""

    def __init__(self, message: str, path: Path, counts: dict[str, int]):
        super().__init__(message)
        self.path, self.counts = path, counts


class InvalidRowsWarning(UserWarning):
    """Invalid rows were dropped (``on_invalid="drop"``); the message counts them per reason."""


class SkippedFilesWarning(UserWarning):
    """Entries of a cold-start region folder were skipped (not ``day_XX.csv``); named in the
    message."""


def check_on_invalid(on_invalid: str) -> None:
    """Raise ``ValueError`` unless ``on_invalid`` is "raise" or "drop"."""
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be 'raise' (default) or 'drop', got {on_invalid!r}")


def field_counts(csv: Path, n_rows: int) -> pl.Series | None:
    """Number of comma-separated fields of each data line of ``csv`` (0 for a blank line; quotes
    are not interpreted), aligned with the ``n_rows`` rows polars parsed; None if not aligned."""
    raw = pl.read_csv(csv, has_header=False, separator="\x1f", quote_char=None,
                      schema={"line": pl.String}, truncate_ragged_lines=True)
    if raw.height - 1 != n_rows:
        return None
    return raw.select(pl.col("line").str.count_matches(",", literal=True).add(1)
                      .fill_null(0).slice(1).alias("_fields")).to_series()


def row_rules(file_day: int | None, n_fields: int | None, *,
              unterminated: bool = False) -> list[tuple[str, pl.Expr]]:
    """(reason, expression true on an invalid row), in priority order. ``n_fields``: the header's
    field count when a ``_fields`` column (per-row field counts) is present, else None.
    ``unterminated``: the file does not end with a newline, so its last row may be cut inside its
    last field; it is invalid unless its podID is complete (:data:`schema.POD_ID_RE`)."""
    rules: list[tuple[str, pl.Expr]] = []
    if unterminated:
        last = pl.int_range(pl.len()) == pl.len() - 1
        rules.append((CUT_LAST, last & ~pl.col("podID").str.contains(schema.POD_ID_RE)))
    if n_fields is not None:
        nf = pl.col("_fields")
        rules += [(CUT_SHORT, nf < n_fields), (TOO_LONG, nf > n_fields)]
    for kind, test in (("empty", lambda c: c.is_null()), ("NaN", lambda c: c.is_nan()),
                       ("infinite", lambda c: c.is_infinite()), ("negative", lambda c: c < 0),
                       ("over a day:", lambda c: c > schema.MAX_COST_S)):
        rules += [(f"{kind} {c}", test(pl.col(c))) for c in COSTS]
    gap = (pl.sum_horizontal(list(schema.COMPONENTS)) - pl.col("totalCost_cold_start")).abs()
    rules.append((COMPONENT_SUM, gap > schema.COMPONENT_SUM_TOL_S))
    day = pl.col("day")
    rules.append((DAY_RANGE, day.is_null() | ~day.is_between(0, N_DAYS - 1)))
    if file_day is not None:
        rules.append((DAY_FILE, day != file_day))
    rules.append((DUPLICATE, ~pl.struct(list(schema.COLD_START)).is_first_distinct()))
    return [(reason, expr.fill_null(False)) for reason, expr in rules]


def _may_have_duplicates(df: pl.DataFrame) -> bool:
    """False when no two rows can be equal because their ``podID`` differ (a cheap hash count;
    each cold start creates its own pod), True when the full-row check is needed."""
    return df.select(pl.col("podID").n_unique() < pl.len()).item()


def _detail(reason: str, row: dict, file_day: int | None, n_fields: int | None) -> str:
    """What is wrong with one example row (a dict of its values, ``_line`` and ``_first``)."""
    if reason == CUT_SHORT:
        return ("blank line" if row["_fields"] == 0 else
                f"{row['_fields']} of {n_fields} fields (row cut short: the file may be truncated)")
    if reason == TOO_LONG:
        return f"{row['_fields']} fields, the header has {n_fields}"
    if reason == COMPONENT_SUM:
        total = sum(row[c] for c in schema.COMPONENTS)
        return (f"{' + '.join(schema.COMPONENTS)} = {total:.9g} s but totalCost_cold_start = "
                f"{row['totalCost_cold_start']!r} s (allowed difference: the release's rounding, "
                f"{schema.COMPONENT_SUM_TOL_S * 1e6:.3f} µs)")
    if reason == DAY_RANGE:
        return f"day is {row['day']}, outside 0..{N_DAYS - 1}"
    if reason == DAY_FILE:
        return f"day is {row['day']} but the file is day_{file_day:02d}.csv"
    if reason == DUPLICATE:
        return f"repeats line {row['_first']}"
    if reason == CUT_LAST:
        return (f"podID {row['podID']!r} is not <pool>-<10-digit id> and the file has no final "
                "newline (cut inside its last field: the file may be truncated)")
    if reason.startswith("over a day: "):
        col = reason.removeprefix("over a day: ")
        return (f"{col} is {row[col]!r} s, longer than a day ({schema.MAX_COST_S:g} s): not one "
                "cold start")
    kind, col = reason.split(" ", 1)
    return f"{col} is empty" if kind == "empty" else f"{col} is {row[col]!r} ({kind})"


def _labelled(df: pl.DataFrame, rules: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    """``df`` + ``_line`` (1-based CSV line), ``_reason`` (first failing rule or null) and
    ``_first`` (line of the first copy of the row, for duplicates)."""
    reason = pl.coalesce([pl.when(e).then(pl.lit(r)) for r, e in rules])
    return df.with_row_index("_i").with_columns(
        _line=pl.col("_i") + 2, _reason=reason,
        _first=pl.col("_i").min().over(list(schema.COLD_START)) + 2)


def message(csv: Path, n_rows: int, counts: dict[str, int], examples: list[str]) -> str:
    """The error raised for invalid rows: file, counts per reason, first lines, the fix."""
    n_bad = sum(counts.values())
    why = ", ".join(f"{r}: {n}" for r, n in counts.items())
    more = "; ..." if n_bad > len(examples) else ""
    return (f"{csv}: {n_bad} invalid row(s) of {n_rows} ({why}); " + "; ".join(examples) + more
            + f". To proceed: {FIX}")


def validate_cold_starts(df: pl.DataFrame, csv: Path, *, file_day: int | None,
                         fields: pl.Series | None, n_fields: int, on_invalid: str = "raise",
                         unterminated: bool = False) -> tuple[pl.DataFrame, dict[str, int]]:
    """Check the rows of one cold-start CSV (released columns, read with the released dtypes).

    ``fields``: per-row field counts (:func:`field_counts`) or None when no row can be short.
    Returns (valid rows, {reason: rows dropped}); raises :class:`InvalidRowsError` naming the file,
    the lines and the fix unless ``on_invalid == "drop"``.
    """
    check_on_invalid(on_invalid)
    work = df if fields is None else df.with_columns(fields)
    rules = row_rules(file_day, None if fields is None else n_fields, unterminated=unterminated)
    quick = [e for r, e in rules if r != DUPLICATE or _may_have_duplicates(df)]
    if not work.select(pl.any_horizontal(quick).any()).item():
        return df, {}
    lab = _labelled(work, rules)
    bad = lab.filter(pl.col("_reason").is_not_null())
    counts = dict(bad.group_by("_reason", maintain_order=True).len().sort(
        "len", descending=True, maintain_order=True).iter_rows())
    if on_invalid == "drop":
        return lab.filter(pl.col("_reason").is_null()).select(df.columns), counts
    examples = [f"line {row['_line']}: {_detail(row['_reason'], row, file_day, n_fields)}"
                for row in bad.head(MAX_EXAMPLES).iter_rows(named=True)]
    raise InvalidRowsError(message(csv, df.height, counts, examples), csv, counts)


def summary(dropped: dict[str, dict[str, int]]) -> str:
    """One line for the rows dropped from several files: ``{file: {reason: n}}`` -> total, per
    reason, and the files."""
    per_reason: dict[str, int] = {}
    for counts in dropped.values():
        for r, n in counts.items():
            per_reason[r] = per_reason.get(r, 0) + n
    total = sum(per_reason.values())
    why = ", ".join(f"{r}: {n}" for r, n in sorted(per_reason.items(), key=lambda x: -x[1]))
    files = ", ".join(f"{f} ({sum(c.values())})" for f, c in dropped.items())
    return f"dropped {total} invalid cold-start row(s) ({why}) from {files}"
