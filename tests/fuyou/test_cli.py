"""``python -m paperkit.fuyou predict`` prints one JSON object; bad input exits 2."""
import json
import subprocess
import sys

import pytest

from paperkit.fuyou.__main__ import main

ARGS = ["predict", "--system", "fuyou", "--hardware", "fuyou-4090", "--params", "12.85e9",
        "--layers", "40", "--hidden", "5120", "--heads", "40", "--batch", "16"]


def test_predict_json(capsys):
    assert main(ARGS + ["--ssds", "6"]) == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("tflops", "iteration_s", "gpu_busy_fraction", "fits", "reason", "busy_s"):
        assert k in d
    assert d["n_ssd"] == 6 and d["fits"] is True and d["tflops"] > 0
    assert set(d["busy_s"]) == {"GPU", "H2D", "D2H", "SSD", "CPU"}


def test_predict_not_fitting(capsys):
    assert main(["predict", "--system", "zero-infinity", "--hardware", "fuyou-4090",
                 "--params", "174.6e9", "--layers", "96", "--hidden", "12288", "--heads", "96",
                 "--batch", "8"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["fits"] is False and d["reason"]


@pytest.mark.parametrize("bad", [["--hardware", "nope"], ["--batch", "0"], ["--heads", "7"],
                                 ["--system", "megatron"]])
def test_bad_arguments_exit_2(bad, capsys):
    args = list(ARGS)
    i = args.index(bad[0])
    args[i + 1] = bad[1]
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    expected = "divisible" if bad[0] == "--heads" else bad[0].lstrip("-")
    assert expected in err


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "paperkit.fuyou"] + ARGS, capture_output=True,
                         text=True, check=True).stdout
    assert out.count("\n") == 1 and json.loads(out)["system"] == "fuyou"
