"""Downloads against a real HTTP server on 127.0.0.1: an HTML error page served with status 200
never poisons the recorded hash; ``size`` is enforced while streaming; a recorded hash that does
not match says where the record lives and how to clear it."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest

from paperkit.registry import HASHES_FILE, DataCorrupt, Entry, Registry

GOOD = b"a,b\n" + b"1,2\n" * 1000
HTML = b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>\n"


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    sent: dict[str, int] = {}

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        body = self.routes[self.path.split("?")[0]]
        self.send_response(200)
        if not self.path.endswith("?nolength"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        n = 0
        try:
            for i in range(0, len(body), 1 << 16):
                self.wfile.write(body[i:i + (1 << 16)])
                n += len(body[i:i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.sent[self.path] = n


@pytest.fixture(scope="module")
def server():
    Handler.routes = {"/data.csv": GOOD, "/page.csv": HTML, "/big.csv": GOOD * 4000,
                      "/a.zip": GOOD}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _reg(server, tmp_path, path, **kw) -> Registry:
    e = Entry(name="g/file" + path[path.rindex("."):].split("?")[0], url=server + path, **kw)
    return Registry({e.name: e}, cache=tmp_path / "cache", mirror=False,
                    public=tmp_path / "public", offline=False)


def _cache_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())


def test_html_error_page_is_not_kept_and_no_hash_recorded(server, tmp_path):
    reg = _reg(server, tmp_path, "/page.csv")
    with pytest.raises(DataCorrupt, match=r"is an HTML page.*no hash was recorded") as exc:
        reg.fetch("g/file.csv", progress=False)
    assert "\n" not in str(exc.value)
    assert _cache_files(tmp_path) == []
    # once the server serves the data, the download succeeds: nothing was poisoned
    Handler.routes["/page.csv"] = GOOD
    try:
        path = reg.fetch("g/file.csv", progress=False)
    finally:
        Handler.routes["/page.csv"] = HTML
    rec = json.loads((tmp_path / "cache" / HASHES_FILE).read_text())
    assert rec == {"g/file.csv": hashlib.sha256(GOOD).hexdigest()} and path.read_bytes() == GOOD


def test_a_zip_entry_that_is_not_a_zip_is_refused(server, tmp_path):
    with pytest.raises(DataCorrupt, match="is not a zip archive"):
        _reg(server, tmp_path, "/a.zip").fetch("g/file.zip", progress=False)
    assert _cache_files(tmp_path) == []


@pytest.mark.parametrize("query", ["", "?nolength"])
def test_size_is_enforced_while_streaming(server, tmp_path, query):
    reg = _reg(server, tmp_path, "/big.csv" + query, size=len(GOOD))
    with pytest.raises(DataCorrupt, match=rf"(announces {len(GOOD) * 4000} bytes|sent more than "
                                          rf"the registry's {len(GOOD)} bytes)"):
        reg.fetch("g/file.csv", progress=False)
    assert _cache_files(tmp_path) == []
    if query:  # no length announced: stopped long before the end of the 16 MB body
        assert Handler.sent.get("/big.csv" + query, 0) < len(GOOD) * 4000


def test_a_wrong_recorded_hash_says_where_it_lives(server, tmp_path):
    reg = _reg(server, tmp_path, "/data.csv")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / HASHES_FILE).write_text(json.dumps({"g/file.csv": "0" * 64}))
    with pytest.raises(DataCorrupt) as exc:
        reg.fetch("g/file.csv", progress=False)
    msg = str(exc.value)
    assert str(tmp_path / "cache" / HASHES_FILE) in msg and "delete the 'g/file.csv' entry" in msg
