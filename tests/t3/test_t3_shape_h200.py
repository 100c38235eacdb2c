"""The common shape of paperkit.t3 (figure index, role modules, no imports in functions) and the H200 profile."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from paperkit import figures, measured
from paperkit.t3 import __main__ as t3_main
from paperkit.t3 import closed_form as cf
from paperkit.t3 import data, des
from paperkit.t3.hardware import load_profile
from paperkit.t3.model import simulate
from paperkit.t3.params import default_params
from paperkit.t3.workloads import workload_set

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "paperkit" / "t3"


def test_readme_has_exactly_the_figure_index():
    readme = (ROOT / "notebooks" / "t3" / "README.md").read_text()
    table = figures.index_markdown("t3")
    assert table in readme
    rows = [line for line in readme.splitlines() if line.startswith("| `fig") or line.startswith("| `own_")]
    assert rows == [line for line in table.splitlines() if line.startswith("| `")]


def test_notebooks_save_only_indexed_figures():
    index = figures.load_index("t3")
    saved = set()
    for nb in sorted((ROOT / "notebooks" / "t3").glob("0*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            text = "".join(cell["source"])
            for node in ast.walk(ast.parse(text)) if cell["cell_type"] == "code" else ():
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "save":
                    saved.add((node.args[1].value, nb.stem))
    assert saved == {(e.file, e.notebook) for e in index.values()}


def test_no_imports_inside_functions_and_role_modules_exist():
    for name in ("data", "compute", "plots", "claimvalues", "__main__", "bench", "measure"):
        assert (PKG / f"{name}.py").is_file(), name
    for path in sorted(PKG.glob("*.py")):
        tree = ast.parse(path.read_text())
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            inner = [n for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert not inner, f"{path.name}:{fn.name} imports inside a function"


def test_run_des_is_one_function_per_mode_and_short():
    tree = ast.parse((PKG / "des.py").read_text())
    lengths = {n.name: n.end_lineno - n.lineno + 1 for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert {"run_t3", "run_t3_mca", "run_sw_split"} <= set(lengths)
    assert max(lengths.values()) <= 60, lengths


def test_merged_phases_change_nothing():
    """The event-saving merge (no shortfall possible) gives the same times as the resolved phases."""
    hw, p = load_profile(), default_params()
    for w in workload_set("main")[:8]:
        for mode in ("t3", "t3-mca", "sw-split"):
            fast = des.run_des(w, hw, p, mode)
            full = des.run_des(w, hw, p, mode, record=True)
            assert fast.total == pytest.approx(full.total, rel=1e-9), (w.label, mode)


def test_h200_measurement_has_provenance_and_feeds_the_profile():
    doc = measured.read_provenance(measured.provenance_file(measured.path(data.H200_SHAPES)))
    assert doc["device"] == "NVIDIA H200" and doc["driver"] == "580.159.04" and doc["date"] == "2026-11-28"
    assert doc["software"] == {"cuda": "13.0", "torch": "2.11.0+cu130"}
    hw, p = load_profile("h200-nvlink"), default_params()
    times = data.measured_gemm_times(data.H200_SHAPES)
    assert len(times) == 12   # 16 sublayers; FC-1 and FC-2 are the same GEMM shape (measured twice, averaged)
    rows = data.measured_frame_rows(data.H200_SHAPES)
    fc = [r["gemm_s"] for r in rows if r["model"] == "t-nlg" and r["tp"] == 8 and r["sublayer"] in ("fc1", "fc2")]
    assert times[(4256, 2128, 8192)] == pytest.approx(sum(fc) / 2, rel=1e-12)
    for w in workload_set("main"):
        assert cf.gemm_time(w, hw, p) == times[(w.hidden, w.k, w.tokens)]
    assert hw.tier == "measured+modelled" and load_profile().tier == "modelled"
    assert 15e-6 < data.measured_launch_cost_s(data.H200_SHAPES) < 25e-6


def test_simulate_answers_all_16_h200_points(capsys):
    for w in workload_set("main"):
        for config in ("sequential", "ideal", "t3", "t3-mca"):
            argv = ["simulate", "--model", w.model, "--tp", str(w.tp), "--sublayer", w.sublayer,
                    "--config", config, "--hardware", "h200-nvlink"]
            assert t3_main.main(argv) == 0
            out = json.loads(capsys.readouterr().out)
            assert out["hardware"] == "h200-nvlink" and out["tier"] == "measured+modelled"
            assert out["speedup_vs_sequential"] >= 1.0 - 1e-9 or config == "sequential"


def test_h200_all_16_points_bounded_by_ideal_nmc():
    """Acceptance: on h200-nvlink every main-set point has Ideal-RS+NMC >= T3-MCA >= 1 (the CLI's numbers)."""
    h200 = load_profile("h200-nvlink")
    for w in workload_set("main"):
        mca = simulate(w, "t3-mca", h200).speedup_vs_sequential
        assert simulate(w, "ideal-nmc", h200).speedup_vs_sequential >= mca - 1e-9 and mca >= 1, w.label
    r = subprocess.run([sys.executable, "-m", "paperkit.t3", "simulate", "--model", "t-nlg", "--tp", "8",
                        "--sublayer", "fc1", "--config", "t3-mca", "--hardware", "h200-nvlink"],
                       capture_output=True, text=True, timeout=60)
    out = json.loads(r.stdout)
    assert out["hardware"] == "h200-nvlink" and out["speedup_vs_sequential"] >= 1
