"""Strict number parsing for the paper packages' command lines, and one exit path for bad input.

The type factories return ``argparse`` ``type=`` callables. They accept plain decimal text only:
an integer option rejects ``"1.7"``, ``"1e3"``, ``""``, ``" 3"`` and ``"3_000"``; a float option
rejects ``"nan"``, ``"inf"``, ``"-inf"`` and values that overflow to infinity (``"1e999"``).
Each failure raises :class:`argparse.ArgumentTypeError` naming what was expected and the text
given; argparse prefixes the option name and exits with status 2::

    ap.add_argument("--batch", type=positive_int)               # --batch: expected an integer >= 1, got '1.7'
    ap.add_argument("--lp-share", type=fraction)                # --lp-share: expected a number in [0, 1], ...
    ap.add_argument("--scale", type=real(0, 1, lo_open=True))   # ... in (0, 1], got '0'

:func:`exit_on_bad_input` is the one top-level handler of every command line: a
:class:`UserError`, ``ValueError`` or ``KeyError`` raised for bad input (an unknown profile name, a
parameter outside the model's range) or an ``OSError`` on a path (missing, unreadable, read-only)
becomes one line ``error: <message>`` on stderr and exit status 2, like argparse's own errors,
instead of a traceback; any other exception is a bug and keeps its traceback.

:func:`safe_name` is the one rule for output names (``--name``, ``--machine``, ``CARD=``): one plain
name component, never absolute, climbing or carrying a separator or shell text.
"""

from __future__ import annotations

import argparse
import errno
import functools
import json
import math
import os
import re
import sys
from collections.abc import Callable
from typing import TypeVar

from paperkit import paths

__all__ = ["strict_int", "strict_real", "integer", "real", "positive_int", "non_negative_int", "positive_float",
           "non_negative_float", "fraction", "torch_device", "exit_on_bad_input", "UserError",
           "safe_name", "output_name", "output_dir", "choice_list", "one_line", "json_line",
           "finite_or_null"]

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


class UserError(Exception):
    """Bad input from the person running a command (a file, a flag, a make variable): its
    message is one line naming the input and the fix. :func:`exit_on_bad_input` prints it and
    exits 2; anything else that is not a user or environment error keeps its traceback."""


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")


def safe_name(what: str, text: str) -> str:
    """``text`` if it is one plain output name (a letter or digit, then letters, digits,
    ``._+-``; at most 100 characters): never absolute, never ``..``, no separator, no shell
    text. Else :class:`UserError` naming ``what`` (the flag or make variable)."""
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise UserError(f"{what}={text!r}: an output name must be one plain name (letters, digits "
                        "and . _ + -, starting with a letter or digit; no '/', '..' or spaces), "
                        "e.g. h100")
    return text


def output_name(flag: str) -> Callable[[str], str]:
    """argparse ``type=`` for an output name flag (``--name``, ``--machine``): :func:`safe_name`."""
    def parse(text: str) -> str:
        try:
            return safe_name(flag, text)
        except UserError:
            raise argparse.ArgumentTypeError(
                f"expected one plain name (letters, digits and . _ + -, starting with a letter or "
                f"digit; no '/', '..' or spaces), e.g. h100; got {text!r}") from None
    parse.__name__ = "name"
    return parse


def choice_list(choices: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    """argparse ``type=`` for a comma-separated list of distinct ``choices`` (at least one): an
    empty item (``R1,,R2``, ``,``), a repeated or an unknown one is refused, naming it."""
    def parse(text: str) -> tuple[str, ...]:
        items = [t.strip() for t in text.split(",")]
        if not text.strip() or any(not t for t in items):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of "
                                             f"{', '.join(choices)} without empty items, got {text!r}")
        bad = [t for t in items if t not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad[0]!r} in {text!r}; choose from "
                                             f"{', '.join(choices)}")
        dup = sorted({t for t in items if items.count(t) > 1})
        if dup:
            raise argparse.ArgumentTypeError(f"{dup[0]!r} is listed twice in {text!r}; list it once")
        return tuple(items)
    parse.__name__ = "list"
    return parse


def output_dir(flag: str) -> Callable[[str], str]:
    """argparse ``type=`` for an output folder flag: refuses an empty value and a path that exists
    and is not a folder (the text is returned; the folder is created by whoever writes)."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError("expected a folder, got an empty value")
        if os.path.exists(text) and not os.path.isdir(text):
            raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; give a folder "
                                             "(it is created when missing)")
        return text
    parse.__name__ = "folder"
    return parse


_OS_FIX = {
    errno.EACCES: "make it readable/writable, or choose another location (PAPERKIT_DATA_DIR for "
                  "caches, PAPERKIT_BUILD_DIR for outputs)",
    errno.EROFS: "that file system is read-only: choose another location (PAPERKIT_DATA_DIR for "
                 "caches, PAPERKIT_BUILD_DIR for outputs)",
    errno.ENOENT: "check the path (it or a folder above it does not exist)",
    errno.EISDIR: "it is a folder: give a file there",
    errno.ENOTDIR: "a part of that path is a file: give a folder there",
    errno.EEXIST: "it already exists: remove it or choose another name",
    errno.ENOSPC: "the disk is full: free space or choose another location",
}
_OS_FIX[errno.EPERM] = _OS_FIX[errno.EACCES]


def _env_hint(filename: object) -> str:
    """Which PAPERKIT_* variable chose the folder holding ``filename`` ('' when none did)."""
    name = os.fspath(filename) if isinstance(filename, (str, os.PathLike)) else ""
    for var, folder in (("PAPERKIT_DATA_DIR", paths.cache_dir()),
                        ("PAPERKIT_BUILD_DIR", paths.build_dir())):
        if name and (name == str(folder) or name.startswith(str(folder) + os.sep)):
            return f" ({var}={folder}: point {var} at a writable folder)"
    return ""


def _message(exc: BaseException) -> str:
    if type(exc) is KeyError:  # str(KeyError('x')) is "'x'": say what it is
        return f"unknown key {exc.args[0]!r}" if exc.args else "unknown key"
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        fix = _OS_FIX.get(exc.errno or 0, "check that path and its permissions")
        return f"{where}{exc.strerror}; {fix}{_env_hint(exc.filename)}"
    return str(exc)


def finite_or_null(obj):
    """``obj`` (JSON-like: dicts, lists, numbers, text) with NaN and infinities replaced by None,
    so that it prints as valid JSON (``null``; a bare ``NaN`` is not JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_null(v) for v in obj]
    return obj


def json_line(obj) -> str:
    """One line of valid JSON (sorted keys; NaN/inf as ``null``, see :func:`finite_or_null`)."""
    return json.dumps(finite_or_null(obj), sort_keys=True, allow_nan=False)


def one_line(text: str) -> str:
    """``text`` with its lines joined by ``; `` (an error is one line)."""
    return "; ".join(x.strip() for x in str(text).splitlines() if x.strip())


def _one_line_usage_error(self: argparse.ArgumentParser, message: str) -> None:
    """argparse's ``error`` without the usage lines: ``<prog>: error: <message>``, exit 2
    (``--help`` still shows the usage)."""
    self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def exit_on_bad_input(main: F) -> F:
    """Decorate a command-line ``main``, its one top-level handler: a user or environment error
    (:class:`UserError`, ``ValueError``, ``KeyError``, ``OSError`` such as a missing, unreadable
    or read-only path) -> ``error: <one line naming the input and the fix>`` on stderr and
    ``SystemExit(2)`` (argparse's status for usage errors), no traceback. Any other exception is
    a bug and keeps its traceback. While ``main`` runs, argparse's own errors are one line too
    (no usage block)."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        saved = argparse.ArgumentParser.error
        argparse.ArgumentParser.error = _one_line_usage_error  # type: ignore[method-assign]
        try:
            return main(*args, **kwargs)
        except (UserError, ValueError, KeyError, OSError) as exc:
            print(f"error: {one_line(_message(exc))}", file=sys.stderr)
            raise SystemExit(2) from None
        finally:
            argparse.ArgumentParser.error = saved  # type: ignore[method-assign]

    return wrapper  # type: ignore[return-value]

def load_user_class(spec: str, flag: str) -> type:
    """``PATH.py:Class`` -> the class ``Class`` defined in that file: the one loader of a user's
    plug-in (``--policy-file``, ``--controller``). The file must end in ``.py`` and its path must
    not climb (``..``); it is imported under a private module name. Every failure is one
    ValueError that names the flag, the input and the fix."""
    import importlib.util
    from pathlib import Path

    path_text, sep, cls_name = spec.rpartition(":")
    if not sep or not path_text or not cls_name.isidentifier():
        raise ValueError(f"{flag} {spec!r}: expected PATH.py:ClassName, e.g. mine.py:Mine")
    path = Path(path_text)
    if path.suffix != ".py":
        raise ValueError(f"{flag} {path_text!r}: give a .py file (PATH.py:ClassName)")
    if ".." in path.parts:
        raise ValueError(f"{flag} {path_text!r}: give the file's path without '..'")
    if not path.is_file():
        raise ValueError(f"{flag} {path_text!r}: no such file")
    full = path.resolve()
    mod_name = f"_paperkit_user_{abs(hash(str(full)))}"
    try:
        mod_spec = importlib.util.spec_from_file_location(mod_name, full)
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[mod_name] = module
        mod_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 -- a user's file may raise anything
        sys.modules.pop(mod_name, None)
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ValueError(f"{flag} {path_text!r}: importing it raised {type(exc).__name__}: "
                         f"{first}; fix the file") from None
    cls = getattr(module, cls_name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{flag} {path_text!r} defines no class {cls_name!r}")
    return cls
