"""Hostile and damaged files on the cold-start data layer, built for real in each test: request
zips whose members climb or are absolute, a corrupt deflate stream, a non-UTF-8 member name, a
same-size edit with the old mtime restored, symlinked day files and region folders."""

from __future__ import annotations

import os
import shutil
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
