"""The one rule for output names and the one top-level handler of the command lines: a user or
environment error is one line naming the input and the fix (exit 2); a bug keeps its traceback."""

from __future__ import annotations

import os

import pytest

from paperkit import cli, paths

HOSTILE_NAMES = ["../x", "/tmp/x", "a/b", "a\\b", "..", ".", ".hidden", "", "x;y", "x y",
                 "$(touch p)", "-rf", "a" * 101, "x\n"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_safe_name_refuses(name):
    with pytest.raises(cli.UserError, match=r"^--name=.*one plain name"):
        cli.safe_name("--name", name)


@pytest.mark.parametrize("name", ["h100", "cpu", "H200_sxm-2026.11", "a" * 100, "9x"])
def test_safe_name_accepts(name):
    assert cli.safe_name("CARD", name) == name


def _in_process(main, argv, capsys) -> str:
    """Run a CLI ``main`` in this process; its stderr, after checking exit 2, one line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", ["../x", "/tmp/abs", "a/b"])
def test_profile_cpu_name_never_leaves_out(tmp_path, capsys, name):
    from paperkit.fuyou.__main__ import main
    out = tmp_path / "out"
    err = _in_process(main, ["profile-cpu", "--out", str(out), "--name", name, "--mb", "1"], capsys)
    assert "--name" in err and repr(name) in err and "plain name" in err
    assert not any(tmp_path.rglob("*")) and not os.path.exists("/tmp/abs_profile.json")


def test_profile_cpu_out_a_file(tmp_path, capsys):
    from paperkit.fuyou.__main__ import main
    f = tmp_path / "f"
    f.write_text("x")
    err = _in_process(main, ["profile-cpu", "--out", str(f), "--mb", "1"], capsys)
    assert "--out" in err and str(f) in err and "is a file, not a folder" in err


def test_handler_turns_os_errors_into_one_line(tmp_path, capsys):
    @cli.exit_on_bad_input
    def main():
        open(tmp_path / "missing" / "x.csv")

    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1
    assert str(tmp_path / "missing" / "x.csv") in err and "check the path" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes anything")
def test_handler_names_permission_fix(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir(mode=0o500)

    @cli.exit_on_bad_input
    def main():
        (d / "x").write_text("x")

    with pytest.raises(SystemExit):
        main()
    assert "PAPERKIT_DATA_DIR" in capsys.readouterr().err


def test_handler_keeps_a_bugs_traceback():
    @cli.exit_on_bad_input
    def main():
        raise TypeError("a bug")

    with pytest.raises(TypeError):
        main()


def test_handler_makes_argparse_errors_one_line(capsys):
    import argparse

    @cli.exit_on_bad_input
    def main(argv):
        ap = argparse.ArgumentParser(prog="prog")
        ap.add_argument("--n", type=cli.positive_int)
        ap.parse_args(argv)

    with pytest.raises(SystemExit) as exc:
        main(["--n", "x"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err == ("prog: error: argument --n: expected an integer >= 1, "
                                          "got 'x' (see --help)\n")
    assert argparse.ArgumentParser.error is not cli._one_line_usage_error  # restored


def test_unwritable_cache_names_paperkit_data_dir(tmp_path, monkeypatch, capsys):
    from paperkit.coldstarts import generate
    from paperkit.coldstarts.__main__ import main
    monkeypatch.setenv("PAPERKIT_DATA_DIR", str(tmp_path / "cache"))
    generate.generate_trace(tmp_path / "t", 0.002, 0, n_days=1, regions=("R5",),
                            parts=("cold_start",))
    monkeypatch.setenv("PAPERKIT_DATA_DIR", "/proc/paperkit-cache")
    err = _in_process(main, ["summarize", str(tmp_path / "t")], capsys)
    assert "/proc/paperkit-cache" in err and "PAPERKIT_DATA_DIR" in err


def test_generate_into_proc_is_one_line(capsys):
    from paperkit.coldstarts.__main__ import main
    err = _in_process(main, ["generate", "/proc/x", "--scale", "0.0005", "--days", "1",
                             "--regions", "R5", "--parts", "cold_start"], capsys)
    assert "OUT_DIR /proc/x" in err and "choose a writable folder" in err


@pytest.mark.parametrize("flag,value,words", [
    ("--regions", "R1,R1", ["'R1' is listed twice"]),
    ("--regions", "R1,,R2", ["without empty items"]),
    ("--regions", "R9", ["unknown 'R9'"]),
    ("--parts", ",", ["without empty items"]),
    ("--parts", "cold_start,nope", ["unknown 'nope'"]),
])
def test_generate_lists_are_strict(tmp_path, capsys, flag, value, words):
    from paperkit.coldstarts.__main__ import main
    with pytest.raises(SystemExit) as exc:
        main(["generate", str(tmp_path / "x"), flag, value])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and flag in err
    assert all(w in err for w in words), err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_missing_or_altered_public_file_is_one_line(tmp_path, monkeypatch, capsys, damage):
    import shutil

    from paperkit import registry
    from paperkit.coldstarts import __main__ as cs_main, schema

    public = tmp_path / "public"
    shutil.copytree(paths.public_dir(), public)
    f = public / schema.REGISTRY_META_NAME
    if damage == "missing":
        f.unlink()
    else:
        f.write_bytes(f.read_bytes().replace(b"1", b"2", 1))
    monkeypatch.setattr(registry, "_default", registry.Registry(public=public, mirror=False))
    with pytest.raises(SystemExit) as exc:
        cs_main.main(["generate", str(tmp_path / "g"), "--scale", "0.0005", "--days", "1",
                      "--regions", "R5", "--parts", "cold_start"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert schema.REGISTRY_META_NAME in err and "git checkout" in err
    assert not (tmp_path / "g").exists()


def test_json_line_is_valid_json_for_non_finite_numbers():
    import json
    line = cli.json_line({"b": [float("nan"), 1.5], "a": float("inf"), "c": {"d": -float("inf")}})
    assert line == '{"a": null, "b": [null, 1.5], "c": {"d": null}}'
    assert json.loads(line) == {"a": None, "b": [None, 1.5], "c": {"d": None}}
