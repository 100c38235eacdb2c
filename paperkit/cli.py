"""Strict number parsing for the paper packages' command lines, and one exit path for bad input.

The type factories return ``argparse`` ``type=`` callables. They accept plain decimal text only:
an integer option rejects ``"1.7"``, ``"1e3"``, ``""``, ``" 3"`` and ``"3_000"``; a float option
rejects ``"nan"``, ``"inf"``, ``"-inf"`` and values that overflow to infinity (``"1e999"``).
Each failure raises :class:`argparse.ArgumentTypeError` naming what was expected and the text
given; argparse prefixes the option name and exits with status 2::

    ap.add_argument("--batch", type=positive_int)               # --batch: expected an integer >= 1, got '1.7'
    ap.add_argument("--lp-share", type=fraction)                # --lp-share: expected a number in [0, 1], ...
    ap.add_argument("--scale", type=real(0, 1, lo_open=True))   # ... in (0, 1], got '0'

:func:`exit_on_bad_input` wraps a ``main``: a ``ValueError``/``KeyError`` raised by the package for
bad input (an unknown profile name, a parameter outside the model's range) becomes
``error: <message>`` on stderr and exit status 2, like argparse's own errors, instead of a traceback.
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import sys
from collections.abc import Callable
from typing import TypeVar

__all__ = ["strict_int", "strict_real", "integer", "real", "positive_int", "non_negative_int", "positive_float",
           "non_negative_float", "fraction", "torch_device", "exit_on_bad_input"]

_INT = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")

F = TypeVar("F", bound=Callable)


def strict_int(text: str) -> int:
    """``text`` as a plain decimal integer (optional sign; no spaces, exponent, underscore or
    fraction), else ``ValueError``. The one integer rule of the command lines and of the make
    parameters (:func:`paperkit.params.coerce`)."""
    if not isinstance(text, str) or not _INT.fullmatch(text):
        raise ValueError(f"not a plain decimal integer: {text!r}")
    return int(text)


def strict_real(text: str) -> float:
    """``text`` as a finite plain decimal number (``1``, ``-0.5``, ``2e-3``; not ``nan``, ``inf``,
    ``1_000`` or an overflow to infinity), else ``ValueError``."""
    if not isinstance(text, str) or not _REAL.fullmatch(text):
        raise ValueError(f"not a plain decimal number: {text!r}")
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"not a finite number: {text!r}")
    return v


def _num(x: float) -> str:
    return f"{x:g}"


def _int_range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"an integer in {lo}..{hi}"
    if lo is not None:
        return f"an integer >= {lo}"
    if hi is not None:
        return f"an integer <= {hi}"
    return "an integer"


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """Type for a decimal integer in ``lo..hi`` (either bound optional, both inclusive)."""
    what = _int_range(lo, hi)

    def parse(text: str) -> int:
        try:
            v = strict_int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    parse.__name__ = "integer"
    return parse


def _real_range(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"a number in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"a number {'>' if lo_open else '>='} {_num(lo)}"
    if hi is not None:
        return f"a number {'<' if hi_open else '<='} {_num(hi)}"
    return "a finite number"


def real(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
         hi_open: bool = False) -> Callable[[str], float]:
    """Type for a finite decimal number within ``[lo, hi]`` (``lo_open``/``hi_open``: exclusive)."""
    what = _real_range(lo, hi, lo_open, hi_open)

    def parse(text: str) -> float:
        try:
            v = strict_real(text)
        except ValueError as exc:
            finite = " (not finite)" if "finite" in str(exc) else ""
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}{finite}") from None
        if lo is not None and (v <= lo if lo_open else v < lo):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if hi is not None and (v >= hi if hi_open else v > hi):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    parse.__name__ = "number"
    return parse


positive_int = integer(1)
non_negative_int = integer(0)
positive_float = real(0, lo_open=True)
non_negative_float = real(0)
fraction = real(0, 1)


def torch_device(text: str) -> str:
    """Type for a torch device name (``cpu``, ``cuda``, ``cuda:1``); a CUDA device only where
    torch sees one. Returns the text (torch is imported on first use only)."""
    import torch  # third-party and heavy: only the CLIs that take --device need it

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"expected a torch device such as cpu or cuda:0, got {text!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r}: no CUDA device is available here; use cpu")
    return text


def _message(exc: BaseException) -> str:
    if type(exc) is KeyError:  # str(KeyError('x')) is "'x'": say what it is
        return f"unknown key {exc.args[0]!r}" if exc.args else "unknown key"
    return str(exc)


def exit_on_bad_input(main: F) -> F:
    """Decorate a command-line ``main``: ``ValueError``/``KeyError`` -> ``error: <message>`` on
    stderr and ``SystemExit(2)`` (argparse's status for usage errors), no traceback."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (ValueError, KeyError) as exc:
            print(f"error: {_message(exc)}", file=sys.stderr)
            raise SystemExit(2) from None

    return wrapper  # type: ignore[return-value]
