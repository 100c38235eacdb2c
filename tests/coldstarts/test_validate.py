"""Cold-start row validation: bad rows raise an error naming file, line and fix; on_invalid="drop"
(CLI --drop-invalid) drops them and counts them per reason; only day_XX.csv files are read."""

import json
import warnings
from pathlib import Path

import polars as pl
import pytest

from paperkit.coldstarts import load, schema, summarize, validate
from paperkit.coldstarts.__main__ import main

COLS = list(schema.COLD_START)


def _rows(n: int = 4, day: int = 3) -> pl.DataFrame:
    """``n`` valid cold-start rows of ``day`` (components add up exactly)."""
    return pl.DataFrame({
        "day": [day] * n, "time": [day * 86400 + 10.0 * k + 0.125 for k in range(n)],
        "clusterName": [1] * n, "funcName": [10 + k for k in range(n)], "userID": [7] * n,
        "requestID": [f"{k:064x}" for k in range(n)],
        "totalCost_cold_start": [1.5] * n, "podAllocationCost": [0.25] * n,
        "deployCodeCost": [0.5] * n, "deployDependencyCost": [0.0] * n,
        "schedulingCost": [0.75] * n,
        "podID": [f"pool22-300-128-{k:010d}" for k in range(n)]}, schema=schema.COLD_START)


def _trace(root: Path, lines: list[str] | None = None, name: str = "day_03.csv") -> Path:
    """A one-file trace ``root/cold_start/R1/<name>`` holding ``lines`` (default: valid rows)."""
    f = root / "cold_start" / "R1" / name
    f.parent.mkdir(parents=True, exist_ok=True)
    if lines is None:
        _rows().write_csv(f)
    else:
        f.write_text("\n".join(lines) + "\n")
    return f


def _lines(n: int = 4, day: int = 3) -> list[str]:
    """Header + ``n`` valid rows as CSV lines (line k of the file is ``lines[k - 1]``)."""
    return _rows(n, day).write_csv().splitlines()


def _set(lines: list[str], line: int, col: str, value: str) -> list[str]:
    """Copy of ``lines`` with field ``col`` of (1-based) CSV line ``line`` replaced."""
    out = list(lines)
    fields = out[line - 1].split(",")
    fields[COLS.index(col)] = value
    out[line - 1] = ",".join(fields)
    return out


def _n_rows(root: Path, **kw) -> int:
    return load.scan_cold_starts(root, **kw).select(pl.len()).collect().item()


def test_valid_rows_load_unchanged(tmp_path, cs_cache):
    _trace(tmp_path)
    got = load.scan_cold_starts(tmp_path).drop("region").collect()
    assert got.equals(_rows())


@pytest.mark.parametrize("col,value,kind,detail", [
    ("podAllocationCost", "NaN", "NaN", "podAllocationCost is nan (NaN)"),
    ("totalCost_cold_start", "nan", "NaN", "totalCost_cold_start is nan (NaN)"),
    ("deployCodeCost", "", "empty", "deployCodeCost is empty"),
    ("schedulingCost", "inf", "infinite", "schedulingCost is inf (infinite)"),
    ("totalCost_cold_start", "-inf", "infinite", "totalCost_cold_start is -inf (infinite)"),
    ("deployDependencyCost", "-0.25", "negative", "deployDependencyCost is -0.25 (negative)"),
])
def test_bad_cost_names_file_line_column_and_fix(tmp_path, cs_cache, col, value, kind, detail):
    f = _trace(tmp_path, _set(_lines(), 4, col, value))
    with pytest.raises(validate.InvalidRowsError) as exc:
        load.scan_cold_starts(tmp_path)
    msg = str(exc.value)
    assert msg.startswith(f"{f}: 1 invalid row(s) of 4 ({kind} {col}: 1); line 4: {detail}. ")
    assert "on_invalid='drop'" in msg and "--drop-invalid" in msg
    assert exc.value.counts == {f"{kind} {col}": 1}
    assert not list(load.cache_root(tmp_path).rglob("*.parquet"))  # nothing cached


def test_components_must_add_up_within_release_rounding(tmp_path, cs_cache):
    # 9-decimal components, total rounded to 6 decimals as in the release: |gap| = 0.21 µs -> valid
    ok = _set(_set(_set(_set(_set(_lines(1), 2, "podAllocationCost", "0.123456789"),
                             2, "deployCodeCost", "0.5"), 2, "deployDependencyCost", "0.001"),
                   2, "schedulingCost", "0.2"), 2, "totalCost_cold_start", "0.824457")
    _trace(tmp_path / "ok", ok)
    assert _n_rows(tmp_path / "ok") == 1
    assert schema.COMPONENT_SUM_TOL_S == pytest.approx(0.501e-6)
    # 2.2 µs off: more than the rounding allows
    f = _trace(tmp_path / "bad", _set(ok, 2, "totalCost_cold_start", "0.824459"))
    with pytest.raises(ValueError, match=rf"{f.name}: 1 invalid .*line 2: podAllocationCost \+ "
                                         r"deployCodeCost .* = 0\.824456789 s but "
                                         r"totalCost_cold_start = 0\.824459 s"):
        load.scan_cold_starts(tmp_path / "bad")


@pytest.mark.parametrize("name,day,why", [
    ("day_03.csv", "31", r"line 3: day is 31, outside 0\.\.30"),
    ("day_03.csv", "-1", r"line 3: day is -1, outside 0\.\.30"),
    ("day_03.csv", "4", r"line 3: day is 4 but the file is day_03\.csv"),
    ("day_31.csv", "31", r"line 3: day is 31, outside 0\.\.30"),
])
def test_bad_day(tmp_path, cs_cache, name, day, why):
    lines = _lines(3, day=int(name[4:6]) if name != "day_31.csv" else 3)
    if name == "day_31.csv":
        lines = [lines[0]] + [ln.replace("3,", "31,", 1) for ln in lines[1:]]
    _trace(tmp_path, _set(lines, 3, "day", day), name=name)
    with pytest.raises(ValueError, match=f"{name}: .*{why}"):
        load.scan_cold_starts(tmp_path)


def test_rows_cut_short_and_too_long(tmp_path, cs_cache):
    lines = _lines(4)
    # a download cut mid-row (last line), a row with a field lost in the middle, an extra field
    cut = lines[4][:30]
    short = lines[:2] + [lines[2].rsplit(",", 1)[0]] + [lines[3] + ",x"] + [cut]
    f = _trace(tmp_path, short)
    with pytest.raises(ValueError) as exc:
        load.scan_cold_starts(tmp_path)
    msg = str(exc.value)
    assert msg.startswith(f"{f}: 3 invalid row(s) of 4")
    assert "line 3: 11 of 12 fields (row cut short" in msg
    assert "line 4: 13 fields, the header has 12" in msg
    assert f"line 5: {cut.count(',') + 1} of 12 fields (row cut short" in msg


def test_first_row_cut_short_and_blank_line(tmp_path, cs_cache):
    lines = _lines(3)
    cut = lines[1][:20]
    f = _trace(tmp_path, [lines[0], cut, lines[2], "", lines[3]])
    n = cut.count(",") + 1
    with pytest.raises(ValueError, match=rf"{f}: 2 invalid row\(s\) of 4 .*line 2: {n} of 12 "
                                         r"fields .*line 4: blank line"):
        load.scan_cold_starts(tmp_path)


def test_duplicate_rows(tmp_path, cs_cache):
    lines = _lines(3)
    f = _trace(tmp_path, lines + [lines[2]])
    with pytest.raises(ValueError, match=rf"{f}: 1 invalid row\(s\) of 4 \(duplicate row: 1\); "
                                         r"line 5: repeats line 3"):
        load.scan_cold_starts(tmp_path)
    # same podID but another column differs: not a duplicate (the podID pre-check is only a filter)
    other = _set(lines, 3, "time", "259300.5")
    _trace(tmp_path / "b", lines + [other[2]])
    assert _n_rows(tmp_path / "b") == 4


def _all_bad(root: Path) -> Path:
    lines = _lines(8)
    lines = _set(lines, 2, "podAllocationCost", "-1")        # negative (and sum off: first wins)
    lines = _set(lines, 3, "schedulingCost", "nan")
    lines = _set(lines, 4, "totalCost_cold_start", "2.5")    # components do not add up
    lines = _set(lines, 5, "day", "4")                        # not the file's day
    lines = lines + [lines[6], lines[7][:25]]                 # duplicate of line 7, cut short
    return _trace(root, lines)


WANT_DROPPED = {"negative podAllocationCost": 1, "NaN schedulingCost": 1,
                validate.COMPONENT_SUM: 1, validate.DAY_FILE: 1, validate.DUPLICATE: 1,
                validate.CUT_SHORT: 1}


def test_drop_invalid_counts_per_reason(tmp_path, cs_cache):
    _all_bad(tmp_path)
    with pytest.raises(validate.InvalidRowsError) as exc:  # default: raise
        load.scan_cold_starts(tmp_path)
    assert exc.value.counts == WANT_DROPPED
    with pytest.warns(validate.InvalidRowsWarning) as rec:
        df = load.scan_cold_starts(tmp_path, on_invalid="drop").collect()
    msg = str(rec[0].message)
    assert msg.startswith(f"{tmp_path / 'cold_start'}: dropped 6 invalid cold-start row(s) (")
    for reason, n in WANT_DROPPED.items():
        assert f"{reason}: {n}" in msg
    assert "R1/day_03.csv (6)" in msg
    assert df.drop("region").equals(_rows(8)[4:])  # lines 6-9 are the valid rows, kept in order
    # from the cache: the same report again, and the default mode still raises
    with pytest.warns(validate.InvalidRowsWarning, match="dropped 6 invalid"):
        assert _n_rows(tmp_path, on_invalid="drop") == 4
    with pytest.raises(validate.InvalidRowsError, match="6 invalid row"):
        load.scan_cold_starts(tmp_path)
    with pytest.raises(ValueError, match="on_invalid must be 'raise'"):
        load.scan_cold_starts(tmp_path, on_invalid="ignore")


def test_summarize_drop_invalid(tmp_path, cs_cache):
    _all_bad(tmp_path)
    with pytest.warns(validate.InvalidRowsWarning):
        out = summarize.summarize(tmp_path, on_invalid="drop")
    assert out["regions"]["R1"]["n_cold_starts"] == 4


def test_cli_drop_invalid(tmp_path, cs_cache, capsys):
    f = _all_bad(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["summarize", str(tmp_path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and f"{f}: 6 invalid row(s)" in err and "--drop-invalid" in err
    assert main(["summarize", str(tmp_path), "--drop-invalid"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["regions"]["R1"]["n_cold_starts"] == 4
    assert err.startswith("warning: ") and "dropped 6 invalid cold-start row(s)" in err
    assert "duplicate row: 1" in err and "Traceback" not in err


def test_only_day_files_are_read_and_others_named(tmp_path, cs_cache):
    _trace(tmp_path)
    bad = "not,a,cold,start\n1,2,3,4\n"
    (tmp_path / "cold_start" / "R1" / "notes.csv").write_text(bad)
    (tmp_path / "cold_start" / "R1" / "day_3.csv").write_text(bad)
    (tmp_path / "cold_start" / "R1" / "day_04.csv.bak").write_text(bad)
    (tmp_path / "cold_start" / "R1" / "old").mkdir()
    with pytest.warns(validate.SkippedFilesWarning) as rec:
        assert _n_rows(tmp_path) == 4
    msg = str(rec[0].message)
    assert msg.startswith(f"{tmp_path}: skipped 4 file(s)")
    for name in ("notes.csv", "day_3.csv", "day_04.csv.bak", "old"):
        assert f"cold_start/R1/{name}" in msg
    with pytest.warns(validate.SkippedFilesWarning, match="day_3.csv"):
        assert load.cold_start_files(tmp_path) == [tmp_path / "cold_start" / "R1" / "day_03.csv"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load.regions(tmp_path) == ["R1"]  # listing regions names nothing


def test_validation_runs_once_at_conversion(tmp_path, cs_cache, monkeypatch):
    _trace(tmp_path)
    calls = []
    real = validate.validate_cold_starts
    monkeypatch.setattr(validate, "validate_cold_starts",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert _n_rows(tmp_path) == 4
    assert calls == [1]
