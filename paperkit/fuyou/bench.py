"""Benchmark: time the model sweep (the notebooks' figure data) and a small engine run.

``make bench-fuyou`` -> prints a short summary, writes ``build/bench/fuyou.json``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch

from paperkit import paths

from . import sweeps
from .engine import GPTConfig, train


def _build_dir():
    return paths.build_dir()


def run() -> dict:
    """Timings in seconds and engine throughput (tokens/s) for both schedules."""
    out: dict = {}
    t0 = time.perf_counter()
    tp = sweeps.throughput(["fuyou-4090", "fuyou-a100"], ["13B", "175B"], [8, 16, 32, 64])
    out["model_sweep_s"] = time.perf_counter() - t0
    out["model_sweep_predictions"] = tp.height
    torch.set_num_threads(1)
    cfg = GPTConfig(layers=6, hidden=256, heads=4, seq=128, batch=4)
    for sched in ("fuyou", "serial"):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            _, _, _, st = train(cfg, d, 4, schedule=sched)
            out[f"engine_{sched}_total_s"] = time.perf_counter() - t0
        step = sorted(st["step_s"][1:])[len(st["step_s"][1:]) // 2]
        out[f"engine_{sched}_step_s"] = step
        out[f"engine_{sched}_tokens_per_s"] = cfg.batch * cfg.seq / step
    out["engine_params"] = cfg.params
    return out


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m paperkit.fuyou.bench",
                            description="Time the model sweep and a small engine run (no options)."
                            ).parse_args(argv)
    res = run()
    d = _build_dir() / "bench"
    d.mkdir(parents=True, exist_ok=True)
    (d / "fuyou.json").write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    print(f"fuyou bench: model sweep {res['model_sweep_predictions']} predictions in "
          f"{res['model_sweep_s']:.2f} s; engine ({res['engine_params']} params, CPU) step "
          f"fuyou {res['engine_fuyou_step_s']:.3f} s vs serial {res['engine_serial_step_s']:.3f} s")
    print(f"wrote {d / 'fuyou.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
