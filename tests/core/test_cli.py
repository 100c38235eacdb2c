"""paperkit.cli: strict argparse number types and the error exit for bad input."""

import argparse

import pytest

from paperkit import cli


@pytest.mark.parametrize("text, value", [("1", 1), ("3", 3), ("+7", 7), ("0012", 12), ("1000000", 10**6)])
def test_positive_int_accepts(text, value):
    assert cli.positive_int(text) == value
    assert type(cli.positive_int(text)) is int


@pytest.mark.parametrize("text", ["0", "-1", "1.7", "1.0", "1e3", "", " ", " 3", "3 ", " 3x", "3x", "0x10",
                                  "3_000", "nan", "inf", "١", "--1", "+"])
def test_positive_int_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected an integer >= 1, got "):
        cli.positive_int(text)


@pytest.mark.parametrize("text, value", [("0", 0), ("-0", 0), ("5", 5)])
def test_non_negative_int(text, value):
    assert cli.non_negative_int(text) == value


@pytest.mark.parametrize("text", ["-1", "0.5", "", "1e0"])
def test_non_negative_int_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError, match=">= 0"):
        cli.non_negative_int(text)


def test_integer_range_names_the_range_and_value():
    parse = cli.integer(1, 31)
    assert parse("1") == 1 and parse("31") == 31
    for bad in ("0", "32"):
        with pytest.raises(argparse.ArgumentTypeError, match=rf"an integer in 1\.\.31, got '{bad}'"):
            parse(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="<= 3"):
        cli.integer(hi=3)("4")


@pytest.mark.parametrize("text, value", [("1", 1.0), ("13e9", 13e9), ("12.85E9", 12.85e9), (".5", 0.5),
                                         ("2.", 2.0), ("+1.5", 1.5), ("1e-3", 1e-3)])
def test_positive_float_accepts(text, value):
    assert cli.positive_float(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "0.0", "-0", "nan", "NaN", "inf", "-inf", "Infinity", "1e999",
                                  "", " 1", "1 ", "1_0", "0x1p3", "1.2.3", "e3", "abc"])
def test_positive_float_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a number > 0, got "):
        cli.positive_float(text)


def test_nonfinite_says_so():
    with pytest.raises(argparse.ArgumentTypeError, match=r"got '1e999' \(not finite\)"):
        cli.real()("1e999")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a finite number, got 'nan'"):
        cli.real()("nan")


@pytest.mark.parametrize("text", ["0", "0.25", "1", "1.0", "0e0"])
def test_fraction_accepts(text):
    assert 0.0 <= cli.fraction(text) <= 1.0


@pytest.mark.parametrize("text", ["1.5", "-0.1", "1.0000001", "nan", "inf", "-inf", "", "50%"])
def test_fraction_rejects_with_range(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"expected a number in \[0, 1\], got "):
        cli.fraction(text)


def test_real_open_and_closed_bounds():
    scale = cli.real(0, 1, lo_open=True)
    assert scale("1") == 1.0 and scale("1e-6") == 1e-6
    with pytest.raises(argparse.ArgumentTypeError, match=r"in \(0, 1\], got '0'"):
        scale("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"in \(0, 1\], got '1\.01'"):
        scale("1.01")
    below = cli.real(hi=10, hi_open=True)
    assert below("-5") == -5.0
    with pytest.raises(argparse.ArgumentTypeError, match="< 10"):
        below("10")
    assert cli.non_negative_float("0") == 0.0
    with pytest.raises(argparse.ArgumentTypeError, match=">= 0"):
        cli.non_negative_float("-1e-9")


def test_argparse_prefixes_the_option(capsys):
    ap = argparse.ArgumentParser(prog="x")
    ap.add_argument("--batch", type=cli.positive_int)
    with pytest.raises(SystemExit) as e:
        ap.parse_args(["--batch", "1.7"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "argument --batch: expected an integer >= 1, got '1.7'" in err


@pytest.mark.parametrize("exc, expected", [
    (ValueError("n_ssd must be >= 1, got 0"), "error: n_ssd must be >= 1, got 0"),
    (KeyError("nope"), "error: unknown key 'nope'"),
])
def test_exit_on_bad_input(exc, expected, capsys):
    @cli.exit_on_bad_input
    def main(argv=None):
        raise exc

    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == expected


def test_exit_on_bad_input_passes_results_and_other_errors():
    @cli.exit_on_bad_input
    def ok(argv=None):
        return 0

    @cli.exit_on_bad_input
    def broken(argv=None):
        raise RuntimeError("a bug, not bad input")

    assert ok([]) == 0 and ok.__name__ == "ok"
    with pytest.raises(RuntimeError):
        broken([])


@pytest.mark.parametrize("text", ["cpu", "cpu:0", "meta"])
def test_torch_device_accepts(text):
    assert cli.torch_device(text) == text


@pytest.mark.parametrize("text", ["gpu", "", "cuda:x", " cpu"])
def test_torch_device_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a torch device"):
        cli.torch_device(text)


def test_torch_device_cuda_needs_a_gpu():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        assert cli.torch_device("cuda") == "cuda"
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="no CUDA device is available"):
            cli.torch_device("cuda:0")


@pytest.mark.parametrize("text", ["3", "+4", "-2", "1.7", "1e3", "1_000", "nan", "inf", "-inf",
                                  "1e999", "", "0x10", "３", ".5", "5.", "2e-3"])
def test_make_parameters_and_command_lines_share_one_number_rule(text):
    """params.coerce (NAME=value from make) accepts exactly what the CLI types accept."""
    from paperkit import params
    from paperkit.cli import integer, real

    def ok(f, *a, **k):
        try:
            return f(*a, **k)
        except (argparse.ArgumentTypeError, params.ParameterError, ValueError):
            return "rejected"
    assert ok(params.coerce, text, "int", name="n") == ok(integer(), text)
    assert ok(params.coerce, text, "float", name="x") == ok(real(), text)
