"""summarize recovers the generator's known parameters; CLI behaviour."""

import json
import subprocess
import sys

import pytest

from paperkit.coldstarts import REGIONS, summarize

KEYS = {"n_cold_starts", "n_functions", "cold_start_s", "lognormal", "weibull_iat",
        "component_share", "n_requests", "n_functions_series"}


@pytest.fixture(scope="module")
def summary(tiny_trace):
    return summarize.summarize(tiny_trace)


def test_summary_recovers_generator_parameters(summary, tiny_trace):
    man = json.loads((tiny_trace / "SYNTHETIC.json").read_text())["regions"]
    assert summary["tier"] == "synthetic"
    assert sorted(summary["regions"]) == list(REGIONS)
    for r, got in summary["regions"].items():
        want = man[r]
        n = got["n_cold_starts"]
        assert set(got) == KEYS
        assert n == want["n_cold_starts"]
        assert got["n_functions_series"] == want["n_functions"]
        assert got["n_functions"] <= want["n_functions"]
        assert got["n_requests"] == want["n_requests"]
        # statistical tolerances: ~4 standard errors at this sample size (n >= 648)
        se = 4 / n ** 0.5
        assert got["lognormal"]["mu"] == pytest.approx(want["lognormal"]["mu"],
                                                       abs=max(0.05, 4 * se * want["lognormal"]["sigma"]))
        assert got["lognormal"]["sigma"] == pytest.approx(want["lognormal"]["sigma"], rel=max(0.05, 3 * se))
        # inter-arrival times come out of the platform: no generator parameter to recover
        assert 0 < got["weibull_iat"]["shape"] < 2 and got["weibull_iat"]["scale"] > 0
        for k, v in want["component_share"].items():
            assert got["component_share"][k] == pytest.approx(v, abs=max(0.03, 2 * se))
        cs = got["cold_start_s"]
        assert 0 < cs["median"] < cs["p99"] and cs["mean"] > 0


def test_summary_of_partial_release_has_nulls(cs_only_trace):
    out = summarize.summarize(cs_only_trace)
    assert out["parts"]["quantiles"] is False
    for got in out["regions"].values():
        assert got["n_requests"] is None and got["n_functions_series"] is None
        assert got["n_cold_starts"] > 0 and got["lognormal"]["mu"] is not None


def test_only_present_regions_are_reported(tiny_trace, tmp_path):
    import shutil
    for r in ("R2", "R4"):
        shutil.copytree(tiny_trace / "cold_start" / r, tmp_path / "cold_start" / r)
    assert sorted(summarize.summarize(tmp_path)["regions"]) == ["R2", "R4"]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "paperkit.coldstarts", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_summarize(cs_only_trace, cs_cache):
    import os
    env = dict(os.environ, PAPERKIT_DATA_DIR=str(cs_cache))
    p = _cli("summarize", str(cs_only_trace), env=env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert p.stdout.strip() == json.dumps(out, sort_keys=True)
    assert out == summarize.summarize(cs_only_trace)


def test_cli_bad_data_dir(tmp_path, capsys):
    from paperkit.coldstarts.__main__ import main
    with pytest.raises(SystemExit) as exc:
        main(["summarize", str(tmp_path / "missing")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "missing" in err and "make data" in err
    with pytest.raises(SystemExit) as exc:
        main(["summarize", str(tmp_path)])
    assert exc.value.code == 2 and "no cold_start/R*/day_*.csv under" in capsys.readouterr().err


def test_cli_generate(tmp_path, cs_cache, capsys):
    from paperkit.coldstarts.__main__ import main
    assert main(["generate", str(tmp_path / "g"), "--scale", "0.001", "--seed", "2", "--days", "2",
                 "--regions", "R5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tier"] == "synthetic" and out["n_cold_starts"]["R5"] > 0
    with pytest.raises(SystemExit) as exc:
        main(["generate", str(tmp_path / "h"), "--scale", "abc"])
    assert exc.value.code == 2 and "--scale: expected a number in (0, 1]" in capsys.readouterr().err


def test_degenerate_region_gives_null_fits(tiny_trace, tmp_path):
    import polars as pl
    from paperkit.coldstarts import schema
    (tmp_path / "cold_start" / "R5").mkdir(parents=True)
    f = next((tiny_trace / "cold_start" / "R5").glob("*.csv"))
    pl.read_csv(f, schema=schema.COLD_START).head(1).write_csv(tmp_path / "cold_start" / "R5" / f.name)
    out = summarize.summarize(tmp_path)["regions"]["R5"]
    assert out["n_cold_starts"] == 1
    assert out["lognormal"] == {"mu": None, "sigma": None}
    assert out["weibull_iat"] == {"shape": None, "scale": None}
