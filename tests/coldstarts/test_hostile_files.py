"""Hostile and damaged files on the cold-start data layer, built for real in each test: request
zips whose members climb or are absolute, a corrupt deflate stream, a non-UTF-8 member name, a
same-size edit with the old mtime restored, symlinked day files and region folders."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest

from paperkit.coldstarts import load, schema

_ROW = ("1.0,1.1,abc,1,2,pool-a-b-0000000001,3,0.5,0.1,0.2,0.3,0.01,0.01,0.01,0.01,"
        "0.5,128.0,100.0")


def _request_csv(rows: int = 3) -> str:
    return ",".join(schema.REQUEST) + "\n" + "\n".join([_ROW] * rows) + "\n"


def _files(d: Path) -> set[Path]:
    return {p for p in d.rglob("*") if p.is_file()}


def _trace_with_zip(tmp_path: Path, members: dict[str, str]) -> Path:
    root = tmp_path / "deep" / "a" / "b" / "trace"
    (root / "per_request" / "R2").mkdir(parents=True)
    with zipfile.ZipFile(root / "per_request" / "R2" / "day_30.zip", "w",
                         zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return root


@pytest.mark.parametrize("name,why", [
    ("../../../../x/evil.csv", "climbs"),
    ("ok/../../evil.csv", "climbs"),
    ("/tmp/x/abs.csv", "absolute"),
    ("..\\..\\evil.csv", "climbs"),
])
def test_hostile_zip_member_is_refused_and_nothing_is_written(cs_cache, tmp_path, name, why):
    root = _trace_with_zip(tmp_path, {"good.csv": _request_csv(), name: _request_csv()})
    before = _files(tmp_path) | _files(cs_cache)
    with pytest.raises(ValueError, match=why) as exc:
        load.scan_requests(root)
    msg = str(exc.value)
    assert "day_30.zip" in msg and repr(name) in msg and "\n" not in msg
    assert (_files(tmp_path) | _files(cs_cache)) == before  # nothing written anywhere


def test_cache_names_never_come_from_member_names(cs_cache, tmp_path):
    root = _trace_with_zip(tmp_path, {"sub/dir/x.csv": _request_csv(2), "y.csv": _request_csv(1)})
    assert load.scan_requests(root).select(pl.len()).collect().item() == 3
    made = _files(load.cache_root(root))
    assert len(made) == 4 and {p.parent for p in made} == {load.cache_root(root)}
    assert not any("x" in p.name.split(".")[0] or "sub" in p.name for p in made)
    assert load.cache_file(root, root / "per_request/R2/day_30.zip", "sub/dir/x.csv") in made


def _corrupt_deflate(z: Path) -> None:
    raw = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + info.compress_size - 5):
        raw[i] ^= 0x5A
    z.write_bytes(bytes(raw))


def test_corrupt_deflate_stream_names_zip_and_member(cs_cache, tmp_path):
    root = _trace_with_zip(tmp_path, {"a.csv": _request_csv(400)})
    _corrupt_deflate(root / "per_request" / "R2" / "day_30.zip")
    with pytest.raises(ValueError, match=r"day_30\.zip!a\.csv: .*download it again") as exc:
        load.scan_requests(root)
    assert "\n" not in str(exc.value)
    assert not _files(load.cache_root(root))


def test_non_utf8_member_name_names_the_zip(cs_cache, tmp_path):
    root = _trace_with_zip(tmp_path, {"abc.csv": _request_csv()})
    z = root / "per_request" / "R2" / "day_30.zip"
    raw = z.read_bytes()
    with zipfile.ZipFile(z) as zf:
        info = zf.infolist()[0]
    # set the UTF-8 flag (bit 11) in both headers and put an invalid UTF-8 byte in the name
    raw = bytearray(raw.replace(b"abc.csv", b"a\xffc.csv"))
    raw[info.header_offset + 7] |= 0x08
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 9] |= 0x08
    z.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"day_30\.zip: a member name is not valid UTF-8"):
        load.scan_requests(root)


def test_same_size_edit_with_mtime_restored_is_seen(cs_cache, tiny_trace, tmp_path):
    root = tmp_path / "t"
    (root / "cold_start" / "R5").mkdir(parents=True)
    csv = root / "cold_start" / "R5" / "day_01.csv"
    shutil.copy(tiny_trace / "cold_start" / "R5" / "day_01.csv", csv)
    first = load.scan_cold_starts(root).collect()
    st = csv.stat()
    text = csv.read_text()
    line = text.splitlines()[1]
    old = line.split(",")[3]                      # funcName: same width, another value
    new = ("9" if old[0] != "9" else "8") + old[1:]
    csv.write_text(text.replace(line, line.replace("," + old + ",", "," + new + ",", 1), 1))
    os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert csv.stat().st_size == st.st_size and csv.stat().st_mtime_ns == st.st_mtime_ns
    second = load.scan_cold_starts(root).collect()
    assert not second.equals(first)
    assert second["funcName"][0] == int(new) and first["funcName"][0] == int(old)


def test_symlinked_day_files_and_region_folders_are_followed(cs_cache, tiny_trace, tmp_path):
    src = tiny_trace / "cold_start"
    root = tmp_path / "t"
    (root / "cold_start" / "R1").mkdir(parents=True)
    os.symlink(src / "R5", root / "cold_start" / "R5")                       # a region folder
    for f in sorted((src / "R1").glob("day_0[01].csv")):
        os.symlink(f, root / "cold_start" / "R1" / f.name)                   # day files
    got = load.scan_cold_starts(root).collect()
    assert sorted(got["region"].unique()) == ["R1", "R5"]
    want = (pl.read_csv(src / "R1" / "day_00.csv").height
            + pl.read_csv(src / "R1" / "day_01.csv").height)
    assert got.filter(pl.col("region") == "R1").height == want
    assert all(p.parent == load.cache_root(root) for p in _files(load.cache_root(root)))


# -- silent wrong results and weak messages on cold-start and series files --------------------
def _one_day(tiny_trace: Path, tmp_path: Path, edit) -> tuple[Path, Path]:
    """A trace with one cold-start day file of the tiny trace, passed through ``edit(bytes)``."""
    root = tmp_path / "t"
    (root / "cold_start" / "R5").mkdir(parents=True)
    csv = root / "cold_start" / "R5" / "day_01.csv"
    csv.write_bytes(edit((tiny_trace / "cold_start" / "R5" / "day_01.csv").read_bytes()))
    return root, csv


def _set_field(raw: bytes, line: int, col: str, value: str) -> bytes:
    lines = raw.split(b"\n")
    i = list(schema.COLD_START).index(col)
    f = lines[line - 1].split(b",")
    f[i] = value.encode()
    lines[line - 1] = b",".join(f)
    return b"\n".join(lines)


def test_a_cold_start_longer_than_a_day_is_an_error_naming_the_row(cs_cache, tiny_trace, tmp_path):
    def edit(raw):
        raw = _set_field(raw, 3, "totalCost_cold_start", "1e308")
        return _set_field(raw, 3, "podAllocationCost", "1e308")
    root, _ = _one_day(tiny_trace, tmp_path, edit)
    with pytest.raises(load.InvalidRowsError, match=r"day_01\.csv: 1 invalid row.*line 3: "
                                                    r"totalCost_cold_start is 1e\+308 s, longer "
                                                    r"than a day"):
        load.scan_cold_starts(root)
    # exactly a day is allowed by the bound (it fails only the component sum here)
    root2, _ = _one_day(tiny_trace, tmp_path / "b",
                        lambda raw: _set_field(raw, 3, "podAllocationCost", "86400"))
    with pytest.raises(load.InvalidRowsError, match="components do not add up") as exc:
        load.scan_cold_starts(root2)
    assert "longer than a day" not in str(exc.value)


def test_a_file_cut_inside_its_last_field_is_refused(cs_cache, tiny_trace, tmp_path):
    root, csv = _one_day(tiny_trace, tmp_path, lambda raw: raw.rstrip(b"\n")[:-6])
    n = csv.read_bytes().count(b"\n") + 1
    with pytest.raises(load.InvalidRowsError, match=rf"line {n}: podID '[^']*' is not "
                                                    r"<pool>-<10-digit id>"):
        load.scan_cold_starts(root)
    with pytest.warns(load.InvalidRowsWarning, match="last line cut"):
        got = load.scan_cold_starts(root, on_invalid="drop").collect()
    assert got.height == n - 2  # the cut row dropped, no phantom pool
    # a complete last row without a final newline is fine
    root2, _ = _one_day(tiny_trace, tmp_path / "b", lambda raw: raw.rstrip(b"\n"))
    assert load.scan_cold_starts(root2).collect().height == n - 1


def test_bom_header_is_read(cs_cache, tiny_trace, tmp_path):
    root, _ = _one_day(tiny_trace, tmp_path, lambda raw: b"\xef\xbb\xbf" + raw)
    want = pl.read_csv(tiny_trace / "cold_start" / "R5" / "day_01.csv").height
    assert load.scan_cold_starts(root).collect().height == want


@pytest.mark.parametrize("edit,words", [
    (lambda raw: __import__("gzip").compress(raw), "is gzip-compressed"),
    (lambda raw: raw.decode().replace("day", "d\u00e4y", 1).encode("latin-1"), "not UTF-8 text"),
    (lambda raw: raw + raw.split(b"\n")[0] + b"\n" + raw.split(b"\n")[1] + b"\n",
     "repeats the header"),
])
def test_damaged_day_files_name_the_file(cs_cache, tiny_trace, tmp_path, edit, words):
    root, csv = _one_day(tiny_trace, tmp_path, edit)
    with pytest.raises(ValueError, match=words) as exc:
        load.scan_cold_starts(root)
    assert str(csv) in str(exc.value) and "\n" not in str(exc.value)
    if words == "repeats the header":
        n = (tiny_trace / "cold_start" / "R5" / "day_01.csv").read_bytes().count(b"\n") + 1
        assert f"line {n} repeats the header" in str(exc.value)


def _series_trace(tmp_path: Path, name: str, rows: list[str]) -> Path:
    root = tmp_path / "s"
    d = root / "quantiles" / "R1" / name
    d.mkdir(parents=True)
    (d / "day_03.csv").write_text("day,time,f---1---pool1-300-128,g---2---pool1-300-128\n"
                                  + "\n".join(rows) + "\n")
    return root


@pytest.mark.parametrize("name,row,words", [
    ("requests", "3,259200,-1000000,", "line 3, column 'f---1---pool1-300-128': -1000000.0 is not "
                                       "a non-negative integer count"),
    ("requests", "3,259200,,inf", "column 'g---2---pool1-300-128': inf is not a non-negative"),
    ("requests", "3,259200,1.5,", "1.5 is not a non-negative integer count"),
    ("requests", "99,259200,1,", "line 3, column 'day': 99.0 is not a day in 0..30"),
    ("requests", "31,259200,1,", "line 3, column 'day': 31.0 is not a day in 0..30"),
    ("requests", "-1,259200,1,", "line 3, column 'day': -1.0 is not a day in 0..30"),
    ("requests", "3.5,259200,1,", "line 3, column 'day': 3.5 is not a day in 0..30"),
    ("requests", "3,-60,1,", "column 'time': -60.0 is not a time >= 0 s"),
    ("cpu_usage_avg", "3,259200,nan,-0.5", "-0.5 is not a finite non-negative value"),
    ("cpu_usage_avg", "3,259200,1e400,", "inf is not a finite non-negative value"),
])
def test_series_values_are_validated(cs_cache, tmp_path, name, row, words):
    root = _series_trace(tmp_path, name, ["3,259140,2,1", row])
    with pytest.raises(ValueError, match=re.escape(words)):
        load.scan_series(root, name).collect()


def test_valid_series_still_load(cs_cache, tmp_path):
    root = _series_trace(tmp_path, "cpu_usage_avg", ["3,259140,0.25,", "3,259200,,0"])
    got = load.scan_series(root, "cpu_usage_avg").collect()
    assert got.select("day", "time", "value").rows() == [(3, 259140, 0.25), (3, 259200, 0.0)]
    root = _series_trace(tmp_path / "b", "requests", ["0,0,0,", "30,2591940,,7"])
    got = load.scan_series(root, "requests").collect()
    assert got.select("day", "value").rows() == [(0, 0.0), (30, 7.0)]


def test_an_edited_cache_sidecar_is_rebuilt(cs_cache, tiny_trace, tmp_path, capsys):
    root, csv = _one_day(tiny_trace, tmp_path, lambda raw: raw)
    want = load.scan_cold_starts(root).collect()
    side = load.cache_file(root, csv).with_name(load.cache_file(root, csv).name + ".src.json")
    rec = json.loads(side.read_text())
    rec["dropped"] = "oops"
    side.write_text(json.dumps(rec))
    capsys.readouterr()
    assert load.scan_cold_starts(root).collect().equals(want)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(side) in err and "was edited" in err


@pytest.mark.parametrize("added", ["notes.txt", "cold_start/R5/mine.csv", "cold_start/R5/x/y"])
def test_overwrite_refuses_a_file_the_manifest_does_not_list(cs_cache, tmp_path, added):
    from paperkit.coldstarts import __main__ as cs_main, generate
    out = tmp_path / "g"
    args = ["generate", str(out), "--scale", "0.0005", "--days", "1", "--regions", "R5",
            "--parts", "cold_start", "--functions", "0.002", "--overwrite"]
    assert cs_main.main(args) == 0
    assert cs_main.main(args) == 0  # a generated trace alone is replaced
    f = out / added
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("mine")
    with pytest.raises(SystemExit) as exc:
        cs_main.main(args)
    assert exc.value.code == 2 and f.read_text() == "mine"
    with pytest.raises(ValueError, match=rf"does not list, e\.g\. {re.escape(added)} "):
        generate.generate_trace(out, 0.0005, 0, n_days=1, regions=("R5",), parts=("cold_start",),
                                functions=0.002, overwrite=True)


def test_digest_memo_sees_a_same_size_edit_with_mtime_restored(tmp_path):
    from paperkit.coldstarts import cachefiles
    f = tmp_path / "x.bin"
    f.write_bytes(b"aaaa")
    st = f.stat()
    first = cachefiles.file_digest(f)
    time.sleep(0.05)  # past the kernel's coarse timestamp tick: a human edit is seconds later
    f.write_bytes(b"bbbb")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cachefiles.file_digest(f) != first
