"""``make mutants``: mutation testing (mutmut 3) of the modules that hold rules and mechanisms.

Design: :data:`MODULES` is the one table of what is mutated and which fast tests judge it (a name,
the source files, the test-file globs). For each selected module a private workspace
``build/mutants/<name>/`` gets links to ``paperkit/``, ``tests/``, ``data/`` and ``notebooks/``
and a generated ``pyproject.toml`` (the project's pytest settings, the shared ``[tool.mutmut]`` options of the
top ``pyproject.toml``, and this module's ``source_paths``/``only_mutate``/test selection). mutmut
copies the project into ``<workspace>/mutants/`` and mutates only the module's files there; its
stats pass maps each function to the tests that call it, so a mutant runs only those tests.

polars deadlocks in a process forked after its thread pool started, and mutmut's default forks
each mutant from the process whose stats pass ran every test: a module whose tests run polars
(or torch) is run from mutmut's fork server, which has only collected the tests (slower, safe);
a module marked ``fork_safe`` is forked directly (fast).

Which ``paperkit`` is imported decides everything: the venv's editable install points at another
checkout. The run therefore starts with ``PYTHONPATH=<workspace>/mutants`` (created beforehand, so
the import system never caches it as missing) and mutmut puts that folder first on ``sys.path``;
test subprocesses inherit both it and ``MUTANT_UNDER_TEST``. mutmut's own forced-fail pass (every
mutated function raises) stops the run if the tests do not import the mutated copy.

The score of a module is killed (timeouts count as killed, as mutmut counts them) over all of its
mutants; a mutant that no selected test reaches ("no tests") counts as survived. mutmut mutates
code inside functions only: module-level constants (``claims.RULE``) are pinned by unit tests, not
scored here. Results: ``build/mutants/scores.json`` and ``scores.md``, printed at the end.

Usage: ``make mutants [MODULES=claims,validator] [JOBS=2]`` (read from ``$MAKEFLAGS``, never
through a shell) or ``python -m paperkit.mutants claims validator --jobs 2``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from paperkit import atomic, paths
from paperkit.params import split_makeflags


@dataclass(frozen=True)
class Module:
    """One entry of the mutation table: files mutated together and the tests that judge them."""

    name: str
    sources: tuple[str, ...]
    """Files mutated, relative to the repository root."""
    tests: tuple[str, ...]
    """Globs of the test files run against them (fast unit and property tests only)."""
    fork_safe: bool = False
    """True when the tests never start a polars/torch thread pool: mutants are then forked from
    mutmut's own process (about 20 times faster); else from a fork server (see the docstring)."""


MODULES: tuple[Module, ...] = (
    Module("claims", ("paperkit/claims.py",), ("tests/core/test_claims*.py",), fork_safe=True),
    Module("validator", ("paperkit/coldstarts/validate.py", "paperkit/coldstarts/schema.py"),
           ("tests/coldstarts/test_validate*.py", "tests/coldstarts/test_schema.py")),
    # the paper packages: their unit tests that never import torch (a process forked after
    # torch's import hangs on its thread pools: every mutant would "time out", i.e. count as
    # killed); mutmut runs, per mutant, only the tests that reached the mutated function
    Module("polca", ("paperkit/polca/sim.py", "paperkit/polca/control.py"),
           ("tests/polca/test_control.py", "tests/polca/test_sim.py", "tests/polca/test_protection.py",
            "tests/polca/test_models.py", "tests/polca/test_h200.py")),
    Module("fuyou", ("paperkit/fuyou/memory.py", "paperkit/fuyou/mechanism.py"),
           ("tests/fuyou/test_memory.py", "tests/fuyou/test_mechanism.py", "tests/fuyou/test_model.py",
            "tests/fuyou/test_shape.py")),
    Module("t3", ("paperkit/t3/closed_form.py", "paperkit/t3/dram.py", "paperkit/t3/llc.py"),
           ("tests/t3/test_t3_bytes_llc.py", "tests/t3/test_t3_dram.py", "tests/t3/test_t3_des.py",
            "tests/t3/test_t3_model_basics.py", "tests/t3/test_t3_fit_cli_analysis.py")),
    Module("platform", ("paperkit/coldstarts/platform.py",), ("tests/coldstarts/test_platform*.py",)),
)
"""The mutation table. Add a row for a new model core; a row whose sources do not exist yet is
reported as absent, not run."""



@dataclass(frozen=True)
class Listed:
    """A one-line bug that the module's tests must catch (issue 24's table): ``old`` -> ``new``
    in ``path``. When ``old`` is not found exactly once the code changed and the entry is
    reported "not applicable": update the entry."""

    module: str
    path: str
    old: str
    new: str
    what: str


LISTED: tuple[Listed, ...] = (
    Listed("claims", "paperkit/claims.py", "return max(0.0, abs(reproduced))",
           "return max(0.0, reproduced)", "distance of a bound claim: abs(reproduced) dropped"),
    Listed("claims", "paperkit/claims.py", '"exact":       {"rel": 0.05, "abs": 0.02,',
           '"exact":       {"rel": 0.05, "abs": 0.03,', "RULE: exact absolute tolerance 0.02 -> 0.03"),
    Listed("claims", "paperkit/claims.py", "tol * abs(self.value or 0.0)",
           "tol * (self.value or 0.0)", "Claim.allowed: abs(self.value) dropped"),
    Listed("polca", "paperkit/polca/sim.py", "brake_at: float = 1.0",
           "brake_at: float = 1.05", "Policy.brake_at 1.0 -> 1.05"),
    Listed("fuyou", "paperkit/fuyou/memory.py", "ssd = 14 * P + a_ssd * L",
           "ssd = 12 * P + a_ssd * L", "memory.requirements: SSD need 14P -> 12P"),
    Listed("fuyou", "paperkit/fuyou/memory.py", "+ 2 * sbh + act_layer",
           "+ sbh + act_layer", "memory.requirements: 2 * sbh -> sbh (the issue's "
           "2 * act_layer -> act_layer, on the one model's GPU term)"),
    Listed("t3", "paperkit/t3/closed_form.py",
           'NEAR_MEMORY_CONFIGS = ("ideal-nmc", "t3", "t3-mca")',
           'NEAR_MEMORY_CONFIGS = ("t3", "t3-mca")',
           "dram_bytes: ideal-nmc dropped from the near-memory configurations"),
)
"""The issue's one-line bugs, checked by ``make mutants`` beside mutmut's own mutants."""

STATUS = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped"}
"""mutmut's exit codes per mutant (``mutmut/stats.py``); anything else is "suspicious"."""
KILLED = ("killed", "timeout")
COPIED = ("data", "notebooks")
"""Folders the tests read besides the code and the tests (claims files, data, notebook READMEs)."""
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
MAX_JOBS = 16


class UsageError(ValueError):
    """A bad module name or job count; the message names the input and the fix."""


def by_name() -> dict[str, Module]:
    """The table keyed by module name."""
    return {m.name: m for m in MODULES}


def select(names: list[str]) -> list[Module]:
    """The modules named (comma- or space-separated words; none = all), in table order."""
    words = [w for n in names for w in re.split(r"[,\s]+", n) if w]
    table = by_name()
    bad = [w for w in words if not _NAME.fullmatch(w) or w not in table]
    if bad:
        raise UsageError(f"MODULES: unknown module {bad[0]!r}; choose from {', '.join(table)} "
                         "(e.g. make mutants MODULES=claims,validator)")
    chosen = set(words)
    return [m for m in MODULES if not chosen or m.name in chosen]


def parse_jobs(text: str) -> int:
    """A worker count in 1..MAX_JOBS, else :class:`UsageError`."""
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= MAX_JOBS:
        raise UsageError(f"JOBS: expected a whole number in 1..{MAX_JOBS}, got {text!r} "
                         "(e.g. make mutants JOBS=2)")
    return int(text)


def from_make(makeflags: str) -> tuple[list[str], str | None]:
    """(MODULES words, JOBS text) from a ``$MAKEFLAGS`` string; other variables are ignored."""
    values = {}
    for word in split_makeflags(makeflags):
        key, _, value = word.partition("=")
        if key.upper() in ("MODULES", "JOBS"):
            values[key.upper()] = value
    return ([values["MODULES"]] if "MODULES" in values else []), values.get("JOBS")


def test_files(mod: Module, root: Path) -> list[str]:
    """The module's test files (relative paths, sorted), expanded from its globs."""
    found = {str(Path(p).relative_to(root)) for g in mod.tests for p in glob.glob(str(root / g))}
    return sorted(found)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def config_text(mod: Module, root: Path) -> str:
    """The workspace ``pyproject.toml``: pytest settings and the module's mutmut settings."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_opts = project.get("tool", {}).get("pytest", {}).get("ini_options", {})
    mutmut = dict(project.get("tool", {}).get("mutmut", {}))
    mutmut.update(process_isolation="fork" if mod.fork_safe else "forkserver",
                  source_paths=["paperkit"], only_mutate=list(mod.sources),
                  pytest_add_cli_args_test_selection=test_files(mod, root),
                  also_copy=list(COPIED))
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in pytest_opts.items()]
    lines += ["", "[tool.mutmut]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in mutmut.items()]
    return "\n".join(lines) + "\n"


def workspace(mod: Module, root: Path, out: Path) -> Path:
    """A fresh ``out/<name>/`` with links to the project and the module's config."""
    ws = out / mod.name
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "mutants").mkdir(parents=True)
    for part in ("paperkit", "tests", *COPIED):
        (ws / part).symlink_to(root / part, target_is_directory=True)
    (ws / "pyproject.toml").write_text(config_text(mod, root), encoding="utf-8")
    return ws


def tally(ws: Path, mod: Module) -> dict[str, object]:
    """Counts per status over the module's mutants (mutmut's ``.meta`` files), the score and the
    surviving mutants' names."""
    counts: dict[str, int] = {}
    survivors: list[str] = []
    for src in mod.sources:
        meta = ws / "mutants" / (src + ".meta")
        if not meta.is_file():
            raise RuntimeError(f"{meta}: mutmut wrote no results for {src}; see {ws}/mutmut.log")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        for key, code in sorted(codes.items()):
            status = STATUS.get(code, "suspicious") if code is not None else "not checked"
            counts[status] = counts.get(status, 0) + 1
            if status not in KILLED:
                survivors.append(f"{key} ({status})")
    total = sum(counts.values())
    killed = sum(counts.get(s, 0) for s in KILLED)
    return {"module": mod.name, "sources": list(mod.sources), "killed": killed, "total": total,
            "score": round(100 * killed / total, 1) if total else None, "counts": counts,
            "survivors": survivors}


def run_module(mod: Module, root: Path, out: Path, jobs: int) -> dict[str, object]:
    """Run mutmut on one module in its workspace; return its tally with the wall time (s)."""
    missing = [s for s in mod.sources if not (root / s).is_file()]
    if missing:
        return {"module": mod.name, "sources": list(mod.sources), "absent": missing}
    if not test_files(mod, root):
        raise UsageError(f"{mod.name}: no test file matches {', '.join(mod.tests)}; fix the "
                         "tests column of paperkit.mutants.MODULES")
    ws = workspace(mod, root, out)
    env = {k: v for k, v in os.environ.items() if k not in ("MUTANT_UNDER_TEST", "PYTHONPATH")}
    env.update(PYTHONPATH=str(ws / "mutants"), MPLBACKEND="Agg",
               PAPERKIT_BUILD_DIR=str(ws / "build"))
    start = time.monotonic()
    with open(ws / "mutmut.log", "w", encoding="utf-8") as log:
        rc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
                            cwd=ws, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = round(time.monotonic() - start, 1)
    if rc != 0:
        raise RuntimeError(f"mutmut failed on {mod.name} (exit {rc}); see {ws}/mutmut.log")
    return {**tally(ws, mod), "seconds": seconds}


def run_listed(bug: Listed, mod: Module, root: Path, out: Path) -> dict[str, str]:
    """Apply one listed bug to a copy of ``paperkit/`` and run the module's tests on it."""
    entry = {"what": bug.what, "path": bug.path}
    source = (root / bug.path).read_text(encoding="utf-8")
    if source.count(bug.old) != 1:
        return {**entry, "status": "not applicable (the code changed: update LISTED)"}
    work = out / mod.name / "listed"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "paperkit", work / "paperkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("tests", *COPIED):
        (work / part).symlink_to(root / part, target_is_directory=True)
    shutil.copy(root / "pyproject.toml", work / "pyproject.toml")
    (work / bug.path).write_text(source.replace(bug.old, bug.new), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MUTANT_UNDER_TEST"}
    env.update(PYTHONPATH=str(work), MPLBACKEND="Agg", PAPERKIT_BUILD_DIR=str(work / "build"))
    rc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
                         *test_files(mod, root)], cwd=work, env=env, capture_output=True,
                        ).returncode
    shutil.rmtree(work, ignore_errors=True)
    status = {0: "survived", 1: "killed"}.get(rc, f"error (pytest exit {rc})")
    return {**entry, "status": status}


def module_result(mod: Module, root: Path, out: Path, jobs: int, listed_only: bool
                  ) -> dict[str, object]:
    """mutmut's score of ``mod`` (or, with ``listed_only``, its last one from ``out``) and the
    verdicts on its listed bugs."""
    if listed_only:
        last = {r["module"]: r for r in merged([], out)}
        result = dict(last.get(mod.name, {"module": mod.name, "sources": list(mod.sources)}))
    else:
        result = run_module(mod, root, out, jobs)
    if "absent" not in result:
        result["listed"] = [run_listed(b, mod, root, out) for b in LISTED if b.module == mod.name]
    return result


def markdown(results: list[dict[str, object]]) -> str:
    """The score table (module, files, killed / total, %, survived, no tests, timeouts, time).
    Timeouts count as killed (as mutmut counts them) and are shown apart: a hung test process
    also times out, so a module with many is suspect (see TESTING.md)."""
    rows = ["| module | files | killed / total | score | survived | no tests | of which timeouts | time (s) |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        files = ", ".join(f"`{s}`" for s in r["sources"])
        if "absent" in r:
            rows.append(f"| {r['module']} | {files} | absent | | | | | |")
            continue
        if "counts" not in r:
            rows.append(f"| {r['module']} | {files} | not run | | | | | |")
            continue
        c = r["counts"]
        score = "n/a" if r["score"] is None else f"{r['score']:.1f} %"
        rows.append(f"| {r['module']} | {files} | {r['killed']} / {r['total']} | {score} | "
                    f"{c.get('survived', 0)} | {c.get('no tests', 0)} | {c.get('timeout', 0)} | {r['seconds']:.0f} |")
    listed = [(r["module"], b) for r in results for b in r.get("listed", [])]
    if listed:
        rows += ["", "| module | listed one-line bug | caught? |", "|---|---|---|"]
        rows += [f"| {m} | {b['what']} (`{b['path']}`) | {b['status']} |" for m, b in listed]
    return "\n".join(rows) + "\n"


def merged(new: list[dict[str, object]], out: Path) -> list[dict[str, object]]:
    """The scores of ``out/scores.json`` updated with ``new`` (a run of some modules keeps the
    others' last scores), in table order; entries of modules no longer in the table are dropped."""
    old: list[dict[str, object]] = []
    try:
        old = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    by_module = {r.get("module"): r for r in old if isinstance(r, dict)}
    by_module.update({r["module"]: r for r in new})
    return [by_module[m.name] for m in MODULES if m.name in by_module]


def write_report(results: list[dict[str, object]], out: Path) -> tuple[Path, Path]:
    """``out/scores.json`` (with each module's survivors) and ``out/scores.md``."""
    js = atomic.write_text(out / "scores.json", json.dumps(results, indent=1, sort_keys=True) + "\n")
    return js, atomic.write_text(out / "scores.md", markdown(results))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.mutants", description=__doc__.split("\n")[0])
    ap.add_argument("modules", nargs="*", help=f"modules to mutate (default all): "
                    f"{', '.join(by_name())}")
    ap.add_argument("--jobs", default=None, help=f"parallel mutant workers, 1..{MAX_JOBS} (default 2)")
    ap.add_argument("--listed-only", action="store_true",
                    help="only check the listed one-line bugs (LISTED), not mutmut's mutants")
    ap.add_argument("--from-make", action="store_true",
                    help="read MODULES= and JOBS= from $MAKEFLAGS (no shell involved)")
    args = ap.parse_args(argv)
    names, jobs_text = list(args.modules), args.jobs
    if args.from_make:
        make_names, make_jobs = from_make(os.environ.get("MAKEFLAGS", ""))
        names, jobs_text = names + make_names, jobs_text or make_jobs
    try:
        modules, jobs = select(names), parse_jobs(jobs_text or "2")
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    root, out = paths.ROOT, paths.build_dir() / "mutants"
    done = []
    for mod in modules:
        print(f"mutants: {mod.name} ({', '.join(mod.sources)}) ...", flush=True)
        try:
            done.append(module_result(mod, root, out, jobs, args.listed_only))
        except (RuntimeError, UsageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        js, md = write_report(merged(done, out), out)
    print(markdown(done) + f"\nwritten: {js}, {md} (all modules' last scores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
