"""The data registry against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import re
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from paperkit import paths, registry
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
    return Registry(es, cache=tmp_path / "cache", mirror=False, public=tmp_path / "public",
                    offline=False)


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


def test_offline_by_default_with_nothing_cached(server, tmp_path, monkeypatch):
    monkeypatch.delenv("PAPERKIT_OFFLINE", raising=False)
    reg = Registry({"x.csv": Entry("x.csv", server + "/good.csv", SHA)},
                   cache=tmp_path, mirror=False, public=tmp_path / "public")
    hits = len(Handler.hits)
    with pytest.raises(DataUnavailable, match=r"x\.csv.*127\.0\.0\.1.*make data"):
        reg.fetch("x.csv")
    assert len(Handler.hits) == hits  # nothing was requested
    monkeypatch.setenv("PAPERKIT_OFFLINE", "0")  # explicitly online: downloads
    assert reg.fetch("x.csv", progress=False).read_bytes() == PAYLOAD


def test_no_server_listening(tmp_path):
    reg = Registry({"x.csv": Entry("x.csv", "http://127.0.0.1:9/x.csv", SHA)},
                   cache=tmp_path, mirror=False, offline=False)
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
                   cache=tmp_path / "cache", mirror=mirror, public=tmp_path / "public")
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


def test_real_region2_table_comes_from_the_repository():
    path = registry.fetch("huawei2025/df_funcID_runtime_triggerType.csv")
    assert path == paths.public_dir() / "huawei2025" / "df_funcID_runtime_triggerType.csv"
    assert registry.sha256_of(path) == registry.default().entry(
        "huawei2025/df_funcID_runtime_triggerType.csv").sha256


def test_every_default_file_is_committed_with_a_notice():
    reg = registry.default()
    defaults = [e for e in reg.entries.values() if e.group == "default"]
    assert len(defaults) == 5
    for e in defaults:
        assert e.committed, e.name
        assert reg.local_path(e.name) == paths.public_dir() / e.name
        folder = (paths.public_dir() / e.name).parent
        assert any((folder / n).is_file() for n in ("LICENSE", "NOTICE.md")), folder
        assert e.sha256 in (paths.public_dir() / "README.md").read_text()


def test_default_urls_are_pinned_to_commits():
    for e in registry.default().entries.values():
        if e.group == "default" and "github.com" in e.url:
            assert re.search(r"/(raw|blob)/[0-9a-f]{7,40}/", e.url), e.url


def test_committed_file_is_verified_and_never_replaced(server, tmp_path):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv", "sha256": SHA,
                                                     "committed": True}})
    committed = tmp_path / "public" / "d" / "good.csv"
    committed.parent.mkdir(parents=True)
    committed.write_bytes(PAYLOAD)
    hits = len(Handler.hits)
    assert reg.fetch("d/good.csv") == committed
    assert len(Handler.hits) == hits
    committed.write_bytes(PAYLOAD + b"edited\n")
    with pytest.raises(DataCorrupt, match=r"git checkout -- "):
        reg.fetch("d/good.csv")
    assert committed.exists()  # the user's file is reported, never deleted


def test_make_data_refetches_committed_files_and_checks_them(server, tmp_path):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv", "sha256": SHA,
                                                     "committed": True}})
    committed = tmp_path / "public" / "d" / "good.csv"
    committed.parent.mkdir(parents=True)
    committed.write_bytes(PAYLOAD)
    got = reg.fetch("d/good.csv", refetch=True, progress=False)
    assert got == tmp_path / "cache" / "d" / "good.csv" and got.read_bytes() == PAYLOAD
    bad = make(server, tmp_path, **{"d/wrong.csv": {"path": "/wrong.csv", "sha256": SHA,
                                                      "committed": True}})
    with pytest.raises(DataCorrupt, match="checksum"):
        bad.fetch("d/wrong.csv", refetch=True, progress=False)


def test_corrupt_hash_file_is_set_aside_with_a_message(server, tmp_path, capsys):
    reg = make(server, tmp_path, **{"d/good.csv": {"path": "/good.csv"}})
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / registry.HASHES_FILE).write_text("{not json")
    assert reg.fetch("d/good.csv", progress=False).read_bytes() == PAYLOAD
    err = capsys.readouterr().err
    assert "corrupt" in err and registry.HASHES_FILE in err
    assert reg.expected_hash(reg.entry("d/good.csv")) == SHA  # recorded again, cleanly


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
