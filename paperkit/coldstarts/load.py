"""Lazy, validated access to a cold-start trace in the release's own layout (its README).

``data_dir`` is the folder that holds ``cold_start/``, ``quantiles/``, ``per_request/`` and
``runtime_triggerType/`` (the release's ``cold_start_dataset/``, or a synthetic trace from
:mod:`paperkit.coldstarts.generate`). Any subset of those parts may be present (users often download
only the cold-start zips); a scan of a missing part raises ``ValueError`` naming the path and the fix.

Each CSV is validated (header against :mod:`.schema`: a wrong or missing column names the file
and the column; cold-start rows by :mod:`.validate`: bad costs, components that do not add up,
wrong days, short rows, duplicates -- an error naming file, line and fix, or with
``on_invalid="drop"`` the rows dropped and counted), then converted once into a parquet cache under
``paths.cache_dir()/coldstarts/parquet/<sha1 of the resolved data_dir>/<sha256 of the file's
relative path (and zip member)>.parquet`` -- names are digests, never text from the data, and a zip
member whose name is absolute or climbs (``..``) is refused, naming the zip and the member. Each is
written to a uniquely named temporary file then renamed, with a ``.src.json`` sidecar holding the
CSV's size, mtime, ctime and inode (a same-size edit with the old mtime restored still changes the
ctime) and the parquet's size and SHA-256; the parquet is re-used while the CSV is unchanged and
the parquet still has that content (else it is rebuilt, with a line on stderr).
Only ``day_XX.csv`` files of a region folder are cold-start files; others are named in a warning
and skipped. Scans are lazy ``pl.scan_parquet`` frames, so nothing is loaded until collected.

Returned frames:

- :func:`scan_cold_starts`: the released columns (§2.3) + ``region`` (str "R1".."R5"); ``day`` is the
  released column (0..30).
- :func:`scan_series`: per-minute series in **long form** ``region, day, time, funcID, value``,
  one row per non-empty cell of the wide release file, read sparsely by :mod:`.widecsv` (an absent row = empty cell: 0 for counts,
  no data for statistics). :func:`series_functions` gives every funcID column, including all-empty
  ones (Fig. 1's function count).
- :func:`scan_requests`: per-request rows (§2.5) + ``region``.
- :func:`load_function_meta`: the Region 2 runtime/trigger table (§2.6);
  :func:`load_function_meta_tier` also returns its tier.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
import zipfile
import zlib
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from paperkit import paths, registry
from paperkit.coldstarts import cachefiles, generate, rules, schema, validate, widecsv
from paperkit.coldstarts.validate import (  # noqa: F401 -- InvalidRowsError re-exported for users
    InvalidRowsError, InvalidRowsWarning, SkippedFilesWarning)

SCHEMA_VERSION = 3  # 2: rows validated, parquet content recorded; 3: digest names, ctime stamp
_REGION_RE = re.compile(r"^R\d+$")
_DAY_FILE_RE = re.compile(r"^day_(\d{2})\.csv$")
_MANIFEST = rules.MANIFEST


def release_dir() -> Path:
    """Where ``make data GROUPS="huawei-coldstart huawei-series"`` unpacks the release:
    ``paths.cache_dir()/huawei2025/release`` (it may not exist)."""

    return paths.cache_dir() / "huawei2025" / "release"


def _hint(data_dir: Path, group: str = "huawei-coldstart") -> str:
    return (f"get the release with `make data GROUPS={group}` (it unpacks into "
            "data/cache/huawei2025/release; see notebooks/coldstarts/README.md) or generate a "
            "synthetic one with `python -m paperkit.coldstarts generate OUT_DIR --scale 0.01`; "
            f"data_dir was {data_dir}")


def resolve_data_dir(data_dir: str | Path) -> Path:
    """``data_dir`` as a path: ``~`` expanded; a relative path that does not exist from the working
    directory is taken relative to the repository root (notebooks run in their own folder)."""
    path = Path(data_dir).expanduser()
    if not path.is_absolute() and not path.exists():

        if (paths.ROOT / path).exists():
            return paths.ROOT / path
    return path


def _as_dir(data_dir: str | Path) -> Path:
    if data_dir is None or str(data_dir).strip() == "":
        raise ValueError("data_dir is empty; pass the folder holding cold_start/ (release layout), "
                         "or use paperkit.coldstarts.generate.synthetic_trace(scale)")
    path = resolve_data_dir(data_dir)
    if not path.is_dir():
        raise ValueError(f"data_dir {path} does not exist or is not a folder; {_hint(path)}")
    return path


def _region_dirs(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted((p for p in base.iterdir() if p.is_dir() and _REGION_RE.match(p.name)),
                  key=lambda p: int(p.name[1:]))


def regions(data_dir: str | Path) -> list[str]:
    """Regions present in any part of the trace (``cold_start`` day files, ``quantiles``,
    ``per_request``), sorted R1..R5."""
    root = _as_dir(data_dir)
    found = {r for r, _ in _cold_start_files(root)}
    for part in ("quantiles", "per_request"):
        found.update(p.name for p in _region_dirs(root / part) if any(p.rglob("*.csv")))
    return sorted(found, key=lambda r: int(r[1:]))


def manifest(data_dir: str | Path) -> dict | None:
    """The synthetic generator's manifest (``SYNTHETIC.json``) or None for a real release."""
    f = _as_dir(data_dir) / _MANIFEST
    if not f.is_file():
        return None
    try:
        man = json.loads(f.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{f}: not valid JSON ({exc}); the synthetic trace is damaged: generate "
                         "it again (`python -m paperkit.coldstarts generate OUT_DIR --overwrite`)"
                         ) from None
    if not isinstance(man, dict):
        raise ValueError(f"{f}: expected a JSON object; generate the trace again")
    return man


def trace_tier(data_dir: str | Path) -> str:
    """``"synthetic"`` for a trace written by paperkit's generator, else ``"public"``."""
    return "synthetic" if manifest(data_dir) is not None else "public"


def parts_present(data_dir: str | Path) -> dict[str, bool]:
    """Which parts of the release layout exist under ``data_dir``."""
    root = _as_dir(data_dir)
    return {
        "cold_start": bool(_cold_start_files(root)),
        "quantiles": any(_region_dirs(root / "quantiles")),
        "per_request": any(p for d in _region_dirs(root / "per_request") for p in d.rglob("*.csv")),
        "runtime_triggerType": (root / schema.META_RELPATH).is_file(),
    }


# ---------------------------------------------------------------------------------------------
# parquet cache
def cache_root(data_dir: str | Path) -> Path:
    """Parquet cache folder of one trace: ``cache_dir()/coldstarts/parquet/<sha1(path)[:16]>``."""

    key = hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    return paths.cache_dir() / "coldstarts" / "parquet" / key


def cache_file(root: str | Path, csv: Path, member: str | None = None) -> Path:
    """The parquet cache file of ``csv`` (or of its zip ``member``) in the trace ``root``:
    ``cache_root(root)/<sha256 of the path relative to root and the member>[:32].parquet``. The name
    is a digest, never text from the data, so no file or member name can climb out of the cache."""
    rel = os.path.relpath(os.path.abspath(csv), os.path.abspath(root))  # lexical: symlinks kept
    key = rel.replace(os.sep, "/") + ("\0" + member if member is not None else "")
    return cache_root(root) / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.parquet"


def _src_stamp(csv: Path) -> dict:
    """What identifies one version of a source file without reading it: size, mtime, and the
    inode's change time and number. ``ctime`` is set by the kernel on every write or ``utime``, so
    an edit that keeps the size and restores the old mtime still changes the stamp."""
    st = csv.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns,
            "inode": st.st_ino}


def _read_record(side: Path) -> dict | None:
    """The sidecar of a parquet cache file, or None if it is missing or unreadable."""
    try:
        rec = json.loads(side.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return rec if isinstance(rec, dict) else None


def _reusable(csv: Path, out: Path, side: Path, allow_dropped: bool) -> dict[str, int] | None:
    """The dropped-row counts of a cache file that may be re-used, else None (after a line on
    stderr when the cache is damaged rather than merely stale)."""
    if not (out.exists() or side.exists()):
        return None
    rec = _read_record(side)
    if rec is None:
        if side.exists():
            cachefiles.note(f"parquet cache record {side} is unreadable; rebuilding {out.name} "
                            f"from {csv}")
        return None
    if rec.get("src") != _src_stamp(csv) or rec.get("schema_version") != SCHEMA_VERSION:
        return None  # the CSV changed, or an older paperkit wrote it: stale, not damaged
    why = cachefiles.file_problem(out, rec.get("parquet"))
    if why:
        cachefiles.note(f"parquet cache {out} {why}; rebuilding it from {csv}")
        return None
    dropped = rec.get("dropped") or {}
    if not (isinstance(dropped, dict) and all(isinstance(v, int) for v in dropped.values())):
        cachefiles.note(f"parquet cache record {side} was edited (its 'dropped' is not a table "
                        f"of counts); rebuilding {out.name} from {csv}")
        return None
    return dropped if (allow_dropped or not dropped) else None


def _cached(csv: Path, root: Path, build, *, allow_dropped: bool = True, sink=None,
            member: str | None = None) -> tuple[Path, dict[str, int]]:
    """(parquet twin of ``csv``, {reason: rows dropped}); ``build(csv) -> (frame, dropped)``, or
    instead ``sink(csv, tmp)`` writing the parquet itself (streamed; no rows dropped). For a CSV
    ``member`` of the zip ``csv``, the twin is named by :func:`cache_file` and the zip's stamp
    is the source stamp.

    A cache file built with dropped rows is re-used only when ``allow_dropped``; otherwise it is
    rebuilt, so that the default (raise) mode reports the invalid rows.
    """
    out = cache_file(root, csv, member)
    side = out.with_name(out.name + ".src.json")
    stamp = _src_stamp(csv)
    dropped = _reusable(csv, out, side, allow_dropped)
    if dropped is not None:
        return out, dropped
    out.parent.mkdir(parents=True, exist_ok=True)
    df, dropped = build(csv) if sink is None else (None, {})
    tmp = cachefiles.temp_sibling(out)
    try:
        if sink is None:
            df.write_parquet(tmp, compression="zstd", statistics=True)
        else:
            sink(csv, tmp)
        side.unlink(missing_ok=True)  # never pair a new parquet with the old record
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    rec = {"src": stamp, "schema_version": SCHEMA_VERSION, "parquet": cachefiles.file_record(out),
           "dropped": dropped}
    cachefiles.write_text_atomic(side, json.dumps(rec, sort_keys=True))
    return out, dropped


def cached_parquet(csv: Path, root: Path, build) -> Path:
    """Parquet twin of ``csv`` under the cache folder of ``root`` (the trace folder).

    ``build(csv) -> pl.DataFrame`` converts it; the result is written to a uniquely named temporary
    file and renamed, then a ``.src.json`` sidecar records the CSV's size+mtime and the parquet's
    size+SHA-256. Re-used while the CSV is unchanged and the parquet still has that content.
    """
    return _cached(csv, root, lambda c: (build(c), {}))[0]


class _TooManyFields(Exception):
    """A row of the CSV has more fields than its header (internal: read again, ragged)."""


def _dtype_error(csv: Path, header: list[str], exc: Exception) -> ValueError:
    """The error for a value of ``csv`` that does not parse as its released dtype, naming the
    column when polars' message does."""
    msg = str(exc)
    line = _repeated_header(csv, header)
    if line is not None:
        return ValueError(f"{csv}: line {line} repeats the header (files joined together?); "
                          "delete that line")
    if "utf-8" in msg.lower() or "utf8" in msg.lower():
        return ValueError(f"{csv} {schema.not_text_problem(csv)}")
    col = next((c for c in header if f'"{c}"' in msg or f"'{c}'" in msg or f"`{c}`" in msg), None)
    where = f"column {col!r}" if col else "a column"
    return ValueError(f"{csv}: {where} does not parse as the released dtype "
                      f"({exc.__class__.__name__}: {msg.splitlines()[0]}); fix the value or "
                      "delete the row")


def _repeated_header(csv: Path, header: list[str]) -> int | None:
    """The 1-based line number of the first copy of the header after line 1, or None (read only
    on the error path)."""
    try:
        with open(csv, encoding="utf-8", errors="replace", newline="") as f:
            next(f, None)
            for i, line in enumerate(f, start=2):
                if schema.parse_header(line) == header:
                    return i
    except OSError:
        return None
    return None


def _read_rows(csv: Path, dtypes: dict[str, pl.DataType], header: list[str], *,
               ragged: bool = False) -> pl.DataFrame:
    """Read ``csv`` with the released dtypes; the field count comes from the header (short rows
    get nulls; with ``ragged`` long rows are cut to the header). A pandas index column is read as
    text and named ``_index<i>`` (kept; see :func:`_drop_index`)."""
    names = [c or f"_index{i}" for i, c in enumerate(header)]
    sch = {n: (pl.String if schema.is_index_column(c) else dtypes[c])
           for n, c in zip(names, header)}
    try:
        return pl.read_csv(csv, has_header=True, new_columns=names, schema_overrides=sch,
                           truncate_ragged_lines=ragged)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError,
            pl.exceptions.InvalidOperationError) as exc:
        if not ragged and "more fields" in str(exc):
            raise _TooManyFields from None
        raise _dtype_error(csv, header, exc) from None


def _drop_index(df: pl.DataFrame) -> pl.DataFrame:
    return df.drop([c for c in df.columns if c.startswith("_index") or c.startswith("Unnamed:")])


def _read_csv(csv: Path, dtypes: dict[str, pl.DataType], header: list[str]) -> pl.DataFrame:
    """Read ``csv`` with the released dtypes (a pandas index column is read as text and dropped)."""
    try:
        return _drop_index(_read_rows(csv, dtypes, header))
    except _TooManyFields:
        raise ValueError(f"{csv}: a row has more fields than the header's {len(header)}; fix or "
                         "delete that row (the file may be damaged: extract it again)") from None


# ---------------------------------------------------------------------------------------------
# cold starts
def file_day(csv: Path) -> int | None:
    """The day of a cold-start file named ``day_XX.csv`` (two digits), else None."""
    m = _DAY_FILE_RE.match(csv.name)
    return int(m.group(1)) if m else None


def _cold_start_listing(root: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """((region, day file) sorted by region then name, other entries of the region folders)."""
    files: list[tuple[str, Path]] = []
    skipped: list[Path] = []
    for rdir in _region_dirs(root / "cold_start"):
        for p in sorted(rdir.iterdir()):
            if p.is_file() and file_day(p) is not None:
                files.append((rdir.name, p))
            else:
                skipped.append(p)
    return files, skipped


def _cold_start_files(root: Path) -> list[tuple[str, Path]]:
    return _cold_start_listing(root)[0]


def _warn_skipped(root: Path, skipped: list[Path]) -> None:
    """Name, in one :class:`SkippedFilesWarning`, the entries of region folders not read."""
    if skipped:
        names = ", ".join(p.relative_to(root).as_posix() for p in skipped)
        warnings.warn(f"{root}: skipped {len(skipped)} file(s) that are not cold-start day files "
                      f"(only cold_start/R*/day_XX.csv are read): {names}; move or rename them "
                      "to silence this", SkippedFilesWarning, stacklevel=3)


def _read_cold_start(csv: Path, header: list[str]) -> tuple[pl.DataFrame, pl.Series | None]:
    """(rows with the released columns, per-row field counts or None when no row can be short:
    counted only if the last column has nulls or a row is too long)."""
    try:
        df, ragged = _read_rows(csv, schema.COLD_START, header), False
    except _TooManyFields:
        df, ragged = _read_rows(csv, schema.COLD_START, header, ragged=True), True
    short = df.height > 0 and df[df.columns[-1]].null_count() > 0
    fields = validate.field_counts(csv, df.height) if ragged or short else None
    return df.select(list(schema.COLD_START)), fields


def _unterminated(csv: Path) -> bool:
    """True when ``csv`` has rows and does not end with a newline (its last row may be cut)."""
    with open(csv, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def _build_cold_start(region: str, on_invalid: str = "raise"):
    def build(csv: Path) -> tuple[pl.DataFrame, dict[str, int]]:
        header = schema.check_header(csv, schema.COLD_START)
        df, fields = _read_cold_start(csv, header)
        df, dropped = validate.validate_cold_starts(df, csv, file_day=file_day(csv), fields=fields,
                                                    n_fields=len(header), on_invalid=on_invalid,
                                                    unterminated=_unterminated(csv))
        return df.with_columns(region=pl.lit(region, pl.String)), dropped
    return build


def cold_start_files(data_dir: str | Path) -> list[Path]:
    """The cold-start CSVs (``cold_start/R*/day_XX.csv``), sorted by region then name; ValueError
    if there are none. Other entries of the region folders are named in a warning."""
    root = _as_dir(data_dir)
    files, skipped = _cold_start_listing(root)
    _warn_skipped(root, skipped)
    if not files:
        raise ValueError(f"no cold_start/R*/day_*.csv under {root}; {_hint(root)}")
    return [f for _, f in files]


def scan_cold_starts(data_dir: str | Path, on_invalid: str = "raise") -> pl.LazyFrame:
    """Lazy cold-start events of all regions: released columns (§2.3) + ``region``.

    Invalid rows (see :mod:`.validate`) raise :class:`InvalidRowsError` naming the file, the lines
    and the fix; with ``on_invalid="drop"`` they are dropped and one :class:`InvalidRowsWarning`
    gives how many per reason and file (on every scan, also from the cache). Entries of the region
    folders other than ``day_XX.csv`` are skipped and named in a :class:`SkippedFilesWarning`.
    """
    validate.check_on_invalid(on_invalid)
    root = _as_dir(data_dir)
    files, skipped = _cold_start_listing(root)
    _warn_skipped(root, skipped)
    if not files:
        raise ValueError(f"no cold_start/R*/day_*.csv under {root}; {_hint(root)}")
    pq, dropped = [], {}
    for region, f in files:
        out, d = _cached(f, root, _build_cold_start(region, on_invalid),
                         allow_dropped=on_invalid == "drop")
        pq.append(out)
        if d:
            dropped[f"{region}/{f.name}"] = d
    if dropped:
        warnings.warn(f"{root / 'cold_start'}: {validate.summary(dropped)}", InvalidRowsWarning,
                      stacklevel=2)
    lf = pl.scan_parquet(pq)
    schema.check_frame(lf, schema.COLD_START, f"{root}/cold_start")
    return lf


# ---------------------------------------------------------------------------------------------
# per-minute series
def available_series(data_dir: str | Path) -> list[str]:
    """Names of the time-series folders present (``quantiles/R*/<name>/``), sorted."""
    root = _as_dir(data_dir)
    names = set()
    for rdir in _region_dirs(root / "quantiles"):
        names.update(p.name for p in rdir.iterdir() if p.is_dir() and any(p.glob("*.csv")))
    return sorted(names)


def _series_files(root: Path, name: str) -> list[tuple[str, Path]]:
    out = []
    for rdir in _region_dirs(root / "quantiles"):
        out += [(rdir.name, f) for f in sorted((rdir / name).glob("*.csv"))]
    if not out:
        have = available_series(root) if (root / "quantiles").is_dir() else []
        raise ValueError(f"no quantiles/R*/{name}/day_*.csv under {root} (series present: "
                         f"{', '.join(have) or 'none'}); the time-series zips are a separate "
                         f"download; {_hint(root, 'huawei-series')}")
    return out


def _build_series(region: str, name: str):
    def build(csv: Path) -> pl.DataFrame:
        counts = name in schema.COUNT_SERIES
        return (widecsv.read_wide_long(csv, counts=counts)
                .with_columns(region=pl.lit(region, pl.String))
                .select(list(schema.SERIES_LONG)))
    return build


def scan_series(data_dir: str | Path, name: str) -> pl.LazyFrame:
    """Lazy long-form per-minute series ``name`` (a folder name, e.g. "requests",
    "cpu_usage_avg"): columns region, day, time (s since start of the trace, minute start),
    funcID, value; only non-empty cells."""
    root = _as_dir(data_dir)
    pq = [cached_parquet(f, root, _build_series(r, name)) for r, f in _series_files(root, name)]
    return pl.scan_parquet(pq)


def series_functions(data_dir: str | Path, name: str = "requests") -> pl.DataFrame:
    """Every funcID column of series ``name`` per region (union over days): region, funcID."""
    root = _as_dir(data_dir)
    rows: set[tuple[str, str]] = set()
    for region, f in _series_files(root, name):
        cols = [c for c in schema.read_header(f) if not schema.is_index_column(c)]
        rows.update((region, c) for c in cols[2:])
    return pl.DataFrame(sorted(rows), schema={"region": pl.String, "funcID": pl.String},
                        orient="row")


# ---------------------------------------------------------------------------------------------
# per-request tables
REQUEST_ZSTD_LEVEL = 1
"""zstd level of the request tables' parquet: level 1 converts a 4 M-row part about 3x faster than
the default 3 (measured here: 5 s vs 16 s) for ~17 % more bytes (their random 64-hex request ids
barely compress)."""


def _sink_requests(region: str):
    """Streamed CSV -> parquet of one request file (``pl.scan_csv`` -> ``sink_parquet``: a part of
    millions of rows is never held in memory); same header check and dtype errors as
    :func:`_read_rows`; a pandas index column is read as text and dropped."""
    def sink(csv: Path, tmp: Path) -> None:
        header = schema.check_header(csv, schema.REQUEST)
        names = [c or f"_index{i}" for i, c in enumerate(header)]
        sch = {n: (pl.String if schema.is_index_column(c) else schema.REQUEST[c])
               for n, c in zip(names, header)}
        lf = (pl.scan_csv(csv, has_header=False, skip_rows=1, schema=sch)  # names: the header's
              .select(list(schema.REQUEST)).with_columns(region=pl.lit(region, pl.String)))
        try:
            lf.sink_parquet(tmp, compression="zstd", compression_level=REQUEST_ZSTD_LEVEL,
                            statistics=True)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError,
                pl.exceptions.InvalidOperationError) as exc:
            if "more fields" in str(exc):
                raise ValueError(f"{csv}: a row has more fields than the header's {len(header)}; "
                                 "fix or delete that row (the file may be damaged: extract it "
                                 "again)") from None
            raise _dtype_error(csv, header, exc) from None
    return sink


def _arrow_type(dtype: pl.DataType) -> pa.DataType:
    return {pl.Float64: pa.float64(), pl.Int64: pa.int64(), pl.String: pa.string()}[dtype]


def _sink_zip_member(region: str, member: str):
    """Streamed zip member -> parquet of one request file, without unzipping it to disk: the
    member is inflated as a stream and parsed in record batches by pyarrow's CSV reader, each
    batch appended to the parquet file. Same header check as a CSV; a value that does not parse
    names the zip, the member and the column."""
    def sink(zpath: Path, tmp: Path) -> None:
        where = f"{zpath}!{member}"
        try:
            _write_zip_member(zpath, member, where, region, tmp)
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:
            raise ValueError(f"{where}: the member cannot be read ({exc.__class__.__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'damaged data'}); the zip "
                             "is damaged: download it again") from None
    return sink


def _write_zip_member(zpath: Path, member: str, where: str, region: str, tmp: Path) -> None:
    """Inflate ``member`` of ``zpath`` as a stream into the parquet ``tmp`` (see
    :func:`_sink_zip_member`)."""
    with zipfile.ZipFile(zpath) as zf, zf.open(member) as fh:
        header = schema.parse_header(fh.readline().decode("utf-8"))
        schema.check_columns(header, schema.REQUEST, where)
        names = [c or f"_index{i}" for i, c in enumerate(header)]
        types = {c: _arrow_type(t) for c, t in schema.REQUEST.items()}
        out_schema = pa.schema([*types.items(), ("region", pa.string())])
        try:
            reader = pacsv.open_csv(fh, read_options=pacsv.ReadOptions(column_names=names),
                                    convert_options=pacsv.ConvertOptions(
                                        column_types=types, include_columns=list(types)))
            with pq.ParquetWriter(tmp, out_schema, compression="zstd",
                                  compression_level=REQUEST_ZSTD_LEVEL) as w:
                for batch in reader:
                    w.write_batch(batch.append_column(
                        "region", pa.array([region] * batch.num_rows, pa.string())))
        except pa.ArrowInvalid as exc:
            m = re.search(r"column #(\d+)", str(exc))
            col = f"column {names[int(m.group(1))]!r}: " if m and int(m.group(1)) < len(names) else ""
            raise ValueError(f"{where}: {col}{str(exc).splitlines()[0]}; fix the value or "
                             "delete the row (the zip may be damaged: download it again)") from None


def _member_problem(name: str) -> str | None:
    """Why a zip member name is refused (absolute, or climbing with ``..``), or None."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if ".." in parts:
        return "climbs out of the zip's folder (a '..' component)"
    return None


def zip_members(z: Path) -> list[str]:
    """The CSV members of the zip ``z``, sorted; ``ValueError`` naming the zip (and the member)
    when it is not a readable zip, a member name is not UTF-8, or a name is absolute or climbs."""
    try:
        with zipfile.ZipFile(z) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{z}: not a readable zip ({exc}); download it again") from None
    except UnicodeDecodeError:
        raise ValueError(f"{z}: a member name is not valid UTF-8 although the zip says it is; "
                         "the zip is damaged or not from the release: download it again") from None
    for n in names:
        why = _member_problem(n)
        if why:
            raise ValueError(f"{z}: member {n!r} {why}; refused (a release zip holds plain "
                             "relative names): download the zip again from the release")
    return sorted(n for n in names if n.endswith(".csv"))


def request_files(data_dir: str | Path) -> list[tuple[str, Path, str | None]]:
    """(region, file, zip member or None) of every per-request table, sorted: the CSVs
    (``per_request/R*/**.csv``) and the CSV members of the release's zips
    (``per_request/R*/*.zip``, read without unzipping)."""
    root = _as_dir(data_dir)
    out: list[tuple[str, Path, str | None]] = []
    for d in _region_dirs(root / "per_request"):
        out += [(d.name, f, None) for f in sorted(d.rglob("*.csv"))]
        for z in sorted(d.rglob("*.zip")):
            out += [(d.name, z, m) for m in zip_members(z)]
    if not out:
        raise ValueError(f"no per_request/R*/*.csv or *.zip under {root}; the request tables are "
                         f"a separate download; {_hint(root, 'huawei-requests')}")
    return out


def scan_requests(data_dir: str | Path) -> pl.LazyFrame:
    """Lazy per-request rows (§2.5, day 30 only in the release) + ``region``. Each CSV, or CSV
    member of a zip, is converted once, streamed, into the parquet cache."""
    root = _as_dir(data_dir)
    return pl.scan_parquet([
        _cached(f, root, None, member=m,
                sink=_sink_requests(r) if m is None else _sink_zip_member(r, m))[0]
        for r, f, m in request_files(root)])


# ---------------------------------------------------------------------------------------------
# Region 2 runtime / trigger table
def read_function_meta(path: str | Path) -> pl.DataFrame:
    """Read and validate one runtime/trigger CSV (§2.6)."""
    path = Path(path)
    header = schema.check_header(path, schema.FUNCTION_META)
    return _read_csv(path, schema.FUNCTION_META, header).select(list(schema.FUNCTION_META))


def load_function_meta_tier(data_dir: str | Path | None = None,
                            meta: str = "public") -> tuple[pl.DataFrame, str]:
    """Region 2 runtime/trigger table and its tier, trying in order:

    1. ``data_dir``'s own ``runtime_triggerType/df_funcID_runtime_triggerType.csv`` -> tier of the
       trace (``"public"`` for the release; ``"synthetic"`` for a generated trace, whose rows are
       the real table's rows when its manifest says ``function_meta_source: public``);
    2. ``meta="public"``: the real file committed in ``data/public`` (verified; a missing or
       altered file stops with the fix, never a silent fallback) -> ``"public"``;
    3. ``meta="synthetic"`` (only when asked for): the generator's table with the exact real
       counts -> ``"synthetic"``.
    """
    if data_dir is not None and str(data_dir).strip() != "":
        root = _as_dir(data_dir)
        f = root / schema.META_RELPATH
        if f.is_file():
            return read_function_meta(f), trace_tier(root)
    if meta == "public":
        return read_function_meta(registry.public_path(schema.REGISTRY_META_NAME)), "public"
    if meta == "synthetic":
        return generate.synthetic_function_table(0), "synthetic"
    raise ValueError(f"R2_TABLE={meta!r}: the Region 2 table is 'public' (committed in "
                     "data/public) or 'synthetic' (a stand-in)")


def load_function_meta(data_dir: str | Path | None = None) -> pl.DataFrame:
    """Region 2 runtime/trigger table (see :func:`load_function_meta_tier` for the sources and the tier)."""
    return load_function_meta_tier(data_dir)[0]


def add_func_id(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``poolName`` and ``funcID`` (``funcName---userID---poolName``) to a cold-start or request
    frame, by the one pool rule of :mod:`.rules` (the first three ``-`` tokens of ``podID``)."""
    return lf.with_columns(rules.pool_from_pod_expr()).with_columns(funcID=rules.funcid_expr())
