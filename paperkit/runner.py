"""Run the notebooks: discovery, parameter checks, papermill, atomic outputs, failure records.

Design: notebooks live in ``notebooks/<paper>/NN_name.ipynb``; a paper is a folder holding at
least one. ``make`` treats each executed notebook ``build/notebooks/<paper>/NN_name.ipynb`` as
a target (see the Makefile) and calls :func:`run_one` for it; :func:`run` runs many in a row.

Parameters come from ``make`` as ``NAME=value`` words, read from ``$MAKEFLAGS`` (``--from-make``)
so that no shell ever interprets them, and are matched case-insensitively to the typed variables
of each notebook's ``parameters`` cell (:mod:`paperkit.params`). A name that no selected notebook
declares, or a value that does not parse as its type, is rejected with the list of valid ones.
``stamp`` writes ``build/params/<paper>.json`` (only when it changes), so that a notebook re-runs
when its parameters change and not otherwise.

Each notebook runs under papermill (an IPC kernel: no network transport) into a temporary file
renamed into place only on success. A failure or Ctrl-C names the notebook and the cell, removes
the partial output, that notebook's claims, timing and figures and the report, and leaves
``build/failed/<paper>__<stem>.json`` for the report to show; a success removes that record.

Commands (``python -m paperkit.runner ...``): ``nb PAPER/STEM``, ``run [PAPER ...]``,
``check [PAPER ...]``, ``stamp PAPER`` (each with ``--from-make`` or ``-- NAME=value ...``),
``refresh NOTEBOOK ...`` (re-execute in place with defaults: the committed nbval outputs),
``params [PAPER ...]``, ``list``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from paperkit import atomic, paths
from paperkit.cli import exit_on_bad_input
from paperkit.params import (ParameterError, coerce, notebook_params, parse_assignments,
                             split_makeflags)

EXECUTION_TIMEOUT_S = 1800
RUN_STATE = "run-state.json"
FAILED_DIR = "failed"


class NotebookFailed(RuntimeError):
    """A notebook raised while running; the message names the notebook and the cell."""


def papers() -> list[str]:
    """Papers with at least one notebook, sorted."""
    root = paths.notebooks_dir()
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and any(p.glob("[0-9][0-9]_*.ipynb")))


def discover(paper: str) -> list[Path]:
    """The notebooks of ``paper`` in run order."""
    known = papers()
    if paper not in known:
        raise ParameterError(f"unknown paper {paper!r}; known papers: {', '.join(known)}")
    return sorted((paths.notebooks_dir() / paper).glob("[0-9][0-9]_*.ipynb"))


def find(name: str) -> Path:
    """``"t3/02_sublayer_speedups"`` (or its ``.ipynb``) -> the source notebook."""
    paper, _, stem = name.removesuffix(".ipynb").partition("/")
    for nb in discover(paper):
        if nb.stem == stem:
            return nb
    raise ParameterError(f"no notebook {name!r}; {paper}'s notebooks: "
                         + ", ".join(f"{paper}/{nb.stem}" for nb in discover(paper)))


def resolve(notebooks: list[Path], assignments: dict[str, str]) -> dict[Path, dict[str, Any]]:
    """Per notebook, the typed parameters it declares; reject names none declares."""
    declared = {nb: notebook_params(nb) for nb in notebooks}
    valid = sorted({n for ps in declared.values() for n in ps})
    unknown = sorted(set(assignments) - set(valid))
    if unknown:
        listing = "; ".join(
            f"{n.upper()} ({next(ps[n] for ps in declared.values() if n in ps).type}, "
            f"default {next(ps[n] for ps in declared.values() if n in ps).default})"
            for n in valid)
        raise ParameterError(f"unknown parameter(s) {', '.join(u.upper() for u in unknown)}; "
                             f"valid parameters here: {listing}")
    out: dict[Path, dict[str, Any]] = {}
    for nb, ps in declared.items():
        out[nb] = {n: coerce(v, ps[n].type, name=n, items=ps[n].items)
                   for n, v in assignments.items() if n in ps}
    return out


def _strip_volatile(nb_path: Path) -> None:
    """Drop papermill's timing metadata so committed notebooks diff cleanly."""
    import nbformat  # noqa: PLC0415 -- third-party, imported only when notebooks run (seconds)
    nb = nbformat.read(nb_path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, nb_path)


def execute(nb: Path, out: Path, params: dict[str, Any], *, log_output: bool = False) -> float:
    """Run ``nb`` with ``params`` into ``out`` atomically; return wall seconds.

    A progress bar over the cells goes to stderr when it is a terminal. Raises
    :class:`NotebookFailed` naming the notebook and the failing cell.
    """
    import papermill as pm  # noqa: PLC0415 -- third-party, imported only when notebooks run
    os.environ["PAPERKIT_BATCH"] = "1"  # the kernel writes to PAPERKIT_BUILD_DIR (paperkit/__init__)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic.temp_name(out).with_suffix(".ipynb")
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(nb), str(tmp), parameters=params, kernel_name="python3",
                            cwd=str(nb.parent), progress_bar=sys.stderr.isatty(),
                            log_output=log_output, execution_timeout=EXECUTION_TIMEOUT_S,
                            kernel_manager_class="paperkit.kernels.IPCKernelManager")
        _strip_volatile(tmp)
        os.replace(tmp, out)
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{_rel(nb)} failed in cell {exc.exec_count or exc.cell_index} "
            f"(code cell index {exc.cell_index}): {exc.ename}: {exc.evalue}") from None
    except Exception as exc:  # kernel died, timeout, bad notebook
        raise NotebookFailed(f"{_rel(nb)} failed: {type(exc).__name__}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return time.perf_counter() - t0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)


# ------------------------------------------------------------------ records of a run
def write_state(state: str, **fields: Any) -> None:
    """Record a multi-notebook run's state in ``build/run-state.json`` (read by the report)."""
    atomic.write_text(paths.build_dir() / RUN_STATE,
                      json.dumps({"state": state} | fields, indent=1, sort_keys=True) + "\n")


def failure_file(paper: str, stem: str) -> Path:
    """``build/failed/<paper>__<stem>.json``."""
    return paths.build_dir() / FAILED_DIR / f"{paper}__{stem}.json"


def _forget(paper: str, nb: Path) -> None:
    """Remove what a notebook that did not finish might have left, so nothing stale looks
    current: its executed copy, claims, timing and figures, and the report."""
    build = paths.build_dir()
    (paths.notebooks_out_dir() / paper / nb.name).unlink(missing_ok=True)
    (paths.claims_dir() / f"{nb.stem}.json").unlink(missing_ok=True)
    (build / "timings" / f"{paper}__{nb.stem}.json").unlink(missing_ok=True)
    for sidecar in sorted(paths.figures_dir(paper).glob("*.json")):
        if _sidecar_notebook(sidecar) == nb.stem:
            for f in sidecar.parent.glob(f"{sidecar.stem}.*"):
                f.unlink(missing_ok=True)
    for stale in ("report.md", "report.html"):
        (build / stale).unlink(missing_ok=True)


def _sidecar_notebook(sidecar: Path) -> str | None:
    """The notebook a figure sidecar names (None when it is damaged: it is left alone)."""
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return doc.get("notebook") if isinstance(doc, dict) else None


def _failed(paper: str, nb: Path, state: str, message: str) -> None:
    _forget(paper, nb)
    atomic.write_text(failure_file(paper, nb.stem), json.dumps(
        {"paper": paper, "notebook": nb.stem, "state": state, "message": message},
        indent=1, sort_keys=True) + "\n")


def run_one(nb: Path, params: dict[str, Any], *, log_output: bool = False) -> int:
    """Execute one notebook into ``build/notebooks/``; return an exit code (0, 1, 130)."""
    paper = nb.parent.name
    out = paths.notebooks_out_dir() / paper / nb.name
    shown = " ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
    print(f"[{paper}] {nb.stem} {shown}".rstrip() + " ...", flush=True)
    try:
        seconds = execute(nb, out, params, log_output=log_output)
    except NotebookFailed as exc:
        _failed(paper, nb, "failed", str(exc))
        print(f"FAILED: {exc}", file=sys.stderr)
        print(f"  its partial output, claims and figures were removed; open {_rel(nb)} in "
              "JupyterLab (`make lab`) to debug", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _failed(paper, nb, "interrupted", f"{_rel(nb)} was interrupted (Ctrl-C)")
        print(f"\ninterrupted in {paper}/{nb.stem}: its partial output and the report were "
              "removed", file=sys.stderr)
        return 130
    failure_file(paper, nb.stem).unlink(missing_ok=True)
    atomic.write_text(paths.build_dir() / "timings" / f"{paper}__{nb.stem}.json", json.dumps(
        {"paper": paper, "notebook": nb.stem, "seconds": round(seconds, 1),
         "parameters": {k: params[k] for k in sorted(params)}}, sort_keys=True) + "\n")
    print(f"[{paper}] {nb.stem} ok ({seconds:.1f} s)", flush=True)
    return 0


def run(selected: list[str], words: list[str], *, log_output: bool = False) -> int:
    """Run every notebook of the selected papers in a row; return an exit code."""
    plan = resolve([nb for p in selected for nb in discover(p)], parse_assignments(words))
    for stale in ("report.md", "report.html"):
        (paths.build_dir() / stale).unlink(missing_ok=True)
    write_state("running", papers=selected)
    for nb, params in plan.items():
        code = run_one(nb, params, log_output=log_output)
        if code:
            write_state("failed" if code == 1 else "interrupted", papers=selected,
                        notebook=f"{nb.parent.name}/{nb.stem}")
            return code
    write_state("complete", papers=selected)
    return 0


def stamp(paper: str, words: list[str]) -> Path:
    """Write ``build/params/<paper>.json`` (the paper's notebooks' parameters given on the
    command line) only when it changed, so that make re-runs a notebook only then."""
    assignments = parse_assignments(words)
    notebooks = discover(paper)
    declared = {n for nb in notebooks for n in notebook_params(nb)}
    plan = resolve(notebooks, {k: v for k, v in assignments.items() if k in declared})
    doc = {nb.stem: {k: v for k, v in sorted(p.items())} for nb, p in plan.items()}
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    path = paths.build_dir() / "params" / f"{paper}.json"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic.write_text(path, text)
    return path


def refresh(notebooks: list[Path]) -> int:
    """Re-execute notebooks in place with their defaults (the committed nbval reference)."""
    for nb in notebooks:
        nb = nb.resolve()
        print(f"refresh {_rel(nb)} ...", flush=True)
        try:
            seconds = execute(nb, nb, {})
        except NotebookFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        print(f"refresh {_rel(nb)} ok ({seconds:.1f} s)", flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m paperkit.runner",
                                 description="Run paperkit's notebooks with papermill.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, helptext, nargs in (("run", "run the notebooks of some papers (default: all)", "*"),
                                  ("check", "check command-line parameters against the "
                                            "notebooks of some papers (default: all)", "*"),
                                  ("stamp", "write build/params/<paper>.json if it changed", 1),
                                  ("nb", "run one notebook, e.g. t3/02_sublayer_speedups", 1)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("targets", nargs=nargs)
        p.add_argument("--from-make", action="store_true",
                       help="read NAME=value parameters from $MAKEFLAGS (no shell involved)")
        p.add_argument("--log-output", action="store_true", help="stream cell output")
    f = sub.add_parser("refresh", help="re-execute notebooks in place with defaults")
    f.add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("params", help="list the parameters of some papers' notebooks")
    p.add_argument("papers", nargs="*")
    sub.add_parser("list", help="list papers and notebooks")
    return ap


def _list_params(selected: list[str]) -> None:
    for paper in selected:
        for nb in discover(paper):
            for prm in notebook_params(nb).values():
                print(f"{paper:11} {nb.stem:32} {prm.name.upper():14} {prm.type:6} "
                      f"default={prm.default}  {prm.help}")


def _dispatch(args: argparse.Namespace, words: list[str]) -> int:
    if getattr(args, "from_make", False):
        words = split_makeflags(os.environ.get("MAKEFLAGS", ""))
    if args.cmd == "run":
        return run(args.targets or papers(), words, log_output=args.log_output)
    if args.cmd == "check":
        resolve([nb for p in args.targets or papers() for nb in discover(p)],
                parse_assignments(words))
        return 0
    if args.cmd == "stamp":
        stamp(args.targets[0], words)
        return 0
    if args.cmd == "nb":
        nb = find(args.targets[0])
        params = resolve([nb], {k: v for k, v in parse_assignments(words).items()
                                if k in notebook_params(nb)})[nb]
        return run_one(nb, params, log_output=args.log_output)
    if args.cmd == "refresh":
        return refresh(args.notebooks)
    if args.cmd == "params":
        _list_params(args.papers or papers())
        return 0
    for paper in papers():
        for nb in discover(paper):
            print(f"{paper:11} {_rel(nb)}")
    return 0


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    words: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, words = argv[:i], argv[i + 1:]
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, words)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
