"""The data registry against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from paperkit import registry
from paperkit.registry import DataCorrupt, DataUnavailable, Entry, Registry

PAYLOAD = b"a,b\n" + b"1,2\n" * 5000
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    hits: list[str] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        if self.path == "/truncated.csv":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
            self.wfile.flush()
            self.connection.close()  # the transfer is cut short
            return
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("R1/day_00.csv", "x\n1\n")
        zf.writestr("R1/day_01.csv", "x\n2\n")
    Handler.routes = {"/good.csv": PAYLOAD, "/wrong.csv": PAYLOAD + b"9,9\n",
                      "/R1.zip": zbuf.getvalue()}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def make(server, tmp_path, **entries: dict) -> Registry:
    es = {name: Entry(name=name, url=server + kw.pop("path"), **kw) for name, kw in entries.items()}
    return Registry(es, cache=tmp_path / "cache", mirror=False)


def test_good_download_is_verified_and_cached(server, tmp_path):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv", "sha256": SHA,
                                                     "size": len(PAYLOAD)}})
    path = reg.fetch("d/good.csv", progress=False)
    assert path == tmp_path / "cache" / "d" / "good.csv"
    assert path.read_bytes() == PAYLOAD
    hits = len(Handler.hits)
    assert reg.fetch("d/good.csv", progress=False) == path  # served from the cache
    assert len(Handler.hits) == hits


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    reg = make(server, tmp_path, **{"d/wrong.csv": {"path": "/wrong.csv", "sha256": SHA}})
    with pytest.raises(DataCorrupt, match="checksum"):
        reg.fetch("d/wrong.csv", progress=False)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_interrupted_transfer_keeps_nothing(server, tmp_path):
    reg = make(server, tmp_path, **{"d/t.csv": {"path": "/truncated.csv", "sha256": SHA}})
    with pytest.raises((DataUnavailable, DataCorrupt)) as info:
        reg.fetch("d/t.csv", progress=False)
    assert "d/t.csv" in str(info.value)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_missing_file_names_file_url_and_make_data(server, tmp_path):
    reg = make(server, tmp_path, **{"d/none.csv": {"path": "/none.csv", "sha256": SHA}})
    with pytest.raises(DataUnavailable) as info:
        reg.fetch("d/none.csv", progress=False)
    msg = str(info.value)
    assert "d/none.csv" in msg and "/none.csv" in msg and "make data" in msg


def test_offline_with_nothing_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERKIT_OFFLINE", "1")
    reg = Registry({"x.csv": Entry("x.csv", "https://example.invalid/x.csv", SHA)},
                   cache=tmp_path, mirror=False)
    with pytest.raises(DataUnavailable, match=r"x\.csv.*example\.invalid.*make data"):
        reg.fetch("x.csv")


def test_no_server_listening(tmp_path):
    reg = Registry({"x.csv": Entry("x.csv", "http://127.0.0.1:9/x.csv", SHA)},
                   cache=tmp_path, mirror=False)
    with pytest.raises(DataUnavailable, match="make data"):
        reg.fetch("x.csv", progress=False)


def test_corrupt_cached_file_is_removed_and_fetched_again(server, tmp_path, capsys):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv", "sha256": SHA}})
    cached = tmp_path / "cache" / "d" / "good.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD[:100])  # truncated earlier
    assert reg.fetch("d/good.csv", progress=False).read_bytes() == PAYLOAD
    assert "removing corrupt cached file" in capsys.readouterr().err


def test_unknown_hash_is_recorded_on_first_download(server, tmp_path):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv"}})
    reg.fetch("d/good.csv", progress=False)
    assert reg.expected_hash(reg.entry("d/good.csv")) == SHA
    (tmp_path / "cache" / "d" / "good.csv").write_bytes(b"tampered")
    assert reg.local_path("d/good.csv") is None  # recorded hash enforced: removed


def test_mirror_is_used_in_place_and_verified(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "d").mkdir(parents=True)
    (mirror / "d" / "good.csv").write_bytes(PAYLOAD)
    reg = Registry({"d/good.csv": Entry("d/good.csv", "http://127.0.0.1:9/", SHA)},
                   cache=tmp_path / "cache", mirror=mirror)
    assert reg.fetch("d/good.csv") == mirror / "d" / "good.csv"
    (mirror / "d" / "good.csv").write_bytes(b"other")
    with pytest.raises(DataCorrupt, match="sha256"):
        reg.fetch("d/good.csv")


def test_unpack_zip_once(server, tmp_path):
    reg = make(server, tmp_path, **{"h/R1.zip": {"path": "/R1.zip", "unpack_to": "h/release/cs"}})
    dest = reg.unpack("h/R1.zip", progress=False)
    assert sorted(p.name for p in (dest / "R1").iterdir()) == ["day_00.csv", "day_01.csv"]
    hits = len(Handler.hits)
    reg.unpack("h/R1.zip", progress=False)
    assert len(Handler.hits) == hits


def test_unknown_name_lists_known(tmp_path):
    with pytest.raises(KeyError, match="known files"):
        Registry({}, cache=tmp_path, mirror=False).fetch("nope.csv")


def test_real_region2_table_through_the_registry(mirror):
    path = registry.fetch("huawei2025/df_funcID_runtime_triggerType.csv")
    assert path.is_relative_to(mirror)
    assert registry.sha256_of(path) == registry.default().entry(
        "huawei2025/df_funcID_runtime_triggerType.csv").sha256


def test_every_default_file_is_in_the_mirror(mirror):
    reg = registry.default()
    for e in reg.entries.values():
        if e.group == "default":
            assert reg.local_path(e.name) is not None, e.name


def test_derive_once_is_atomic(tmp_path):
    src = tmp_path / "src.csv"
    src.write_text("x")
    dst = tmp_path / "out" / "x.parquet"
    calls = []

    def build(tmp: Path) -> None:
        calls.append(tmp)
        tmp.write_text("derived")

    registry.derive_once(src, dst, build)
    registry.derive_once(src, dst, build)
    assert len(calls) == 1 and dst.read_text() == "derived"

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("boom")

    other = tmp_path / "out" / "y.parquet"
    with pytest.raises(RuntimeError):
        registry.derive_once(src, other, broken)
    assert not list(other.parent.glob("*y.parquet*"))
