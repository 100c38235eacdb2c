from pathlib import Path

from paperkit import paths


def test_root_holds_the_package():
    assert (paths.ROOT / "paperkit" / "paths.py").is_file()
    assert (paths.ROOT / "pyproject.toml").is_file()


def test_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERKIT_BUILD_DIR", str(tmp_path / "b"))
    monkeypatch.setenv("PAPERKIT_DATA_DIR", "relative/cache")
    assert paths.build_dir() == tmp_path / "b"
    assert paths.figures_dir("t3") == tmp_path / "b" / "figures" / "t3"
    assert paths.claims_dir() == tmp_path / "b" / "claims"
    assert paths.cache_dir() == paths.ROOT / "relative" / "cache"


def test_defaults(monkeypatch):
    for var in ("PAPERKIT_BUILD_DIR", "PAPERKIT_DATA_DIR", "PAPERKIT_DATA_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    assert paths.build_dir() == paths.ROOT / "build"
    assert paths.cache_dir() == paths.ROOT / "data" / "cache"
    assert paths.mirror_dir() is None
    assert paths.claims_file("polca") == paths.ROOT / "data" / "claims" / "polca.toml"
    assert isinstance(paths.measured_dir(), Path)
