"""Measurements with provenance: disk and host-device bandwidth, CPU Adam rate, GEMM rate,
and the offloading engine (both schedules) at a few model sizes.

GPU campaign (one script, < 10 min)::

    python -m paperkit.fuyou.measure --device cuda --machine h100 --out data/measured \
        --sizes gpu-s,gpu-m --budget-s 480

writes ``data/measured/fuyou/<machine>.parquet`` (one row per engine run) and
``<machine>.provenance.json`` (schema ``paperkit.measured/1``: machine, date, command, versions;
bandwidths and the load average under ``extra``), and the
model's prediction for the same machine (profile built from the measured bandwidths) in the
parquet's ``model_*`` columns. On the CPU (``--device cpu --sizes toy``) it is the test path.
Units: bytes/s, seconds, FLOP/s.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import torch

from paperkit import measured
from paperkit.cli import (exit_on_bad_input, non_negative_float, output_dir, output_name, positive_float,
                          positive_int, safe_name, torch_device)

from .campaigns import (THROTTLE_MBPS, TIMELINE_SHAPE, load_campaign, load_timelines,  # noqa: F401
                        meminfo_gb, model_s, profile_from_rates, remodel, throttled)
from .engine import Engine, GPTConfig, block_forward, init_params, make_batch, train
from .hardware import HardwareProfile, fuyou_measured_dir
from .shapes import ModelShape

# name -> (config, compute dtype name, steps). On the lent GPU machine (64 GB disk) the
# on-disk state (14P bytes + temporary files) caps the model at ~2.5B params, so no size here
# exceeds an 80 GB GPU; gpu-m (1.6B) and gpu-l (2.5B) do exceed a 24 GB GPU's memory for
# unoffloaded mixed-precision Adam training (16 B/param: 26 GB and 40 GB).
SIZES: dict[str, tuple[GPTConfig, str, int]] = {
    "toy": (GPTConfig(layers=4, hidden=64, heads=4, seq=32, batch=2), "float32", 4),
    "cpu-s": (GPTConfig(layers=6, hidden=256, heads=4, seq=128, batch=4), "float32", 4),
    "cpu-m": (GPTConfig(layers=8, hidden=512, heads=8, seq=256, batch=4), "float32", 3),
    "cpu-s-b1": (GPTConfig(layers=6, hidden=256, heads=4, seq=128, batch=1), "float32", 4),
    "cpu-s-io": (GPTConfig(layers=6, hidden=256, heads=4, seq=128, batch=4), "float32", 3),
    "cpu-m-io": (GPTConfig(layers=8, hidden=512, heads=8, seq=256, batch=4), "float32", 3),
    "cpu-l": (GPTConfig(layers=6, hidden=768, heads=12, seq=128, batch=2), "float32", 3),
    "gpu-s": (GPTConfig(layers=8, hidden=2048, heads=16, seq=1024, batch=8), "bfloat16", 3),
    "gpu-m": (GPTConfig(layers=8, hidden=4096, heads=32, seq=1024, batch=8), "bfloat16", 3),
    "gpu-l": (GPTConfig(layers=8, hidden=5120, heads=40, seq=1024, batch=4), "bfloat16", 2),
}


def _drop_cache(path: Path) -> None:
    if hasattr(os, "posix_fadvise"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def disk_bandwidth(directory: str | os.PathLike, mb: int = 256, block_mb: int = 4
                   ) -> tuple[float, float]:
    """(read, write) bytes/s of a sequential file in ``directory``: write + fsync, drop the
    page cache with posix_fadvise(DONTNEED), read back."""
    if mb <= 0:
        raise ValueError(f"mb must be > 0, got {mb}")
    path = Path(directory) / "fuyou_disk_probe.bin"
    block = os.urandom(block_mb << 20)
    n = max(1, mb // block_mb)
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())
    tw = time.perf_counter() - t0
    _drop_cache(path)
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.read(block_mb << 20):
            pass
    tr = time.perf_counter() - t0
    path.unlink()
    nbytes = n * len(block)
    return nbytes / tr, nbytes / tw


def host_device_bandwidth(device: str, mb: int = 256) -> tuple[float, float]:
    """(H2D, D2H) bytes/s with pinned host memory; on ``cpu`` a host memcpy."""
    n = (mb << 20) // 4
    dev = torch.device(device)
    host = torch.empty(n, dtype=torch.float32, pin_memory=dev.type == "cuda")
    host.fill_(1.0)
    dst = torch.empty(n, dtype=torch.float32, device=dev)

    def timed(fn) -> float:
        fn()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
        return n * 4 / best
    h2d = timed(lambda: dst.copy_(host, non_blocking=True))
    d2h = timed(lambda: host.copy_(dst, non_blocking=True))
    return h2d, d2h


def cpu_adam_rate(n_params: int = 2_000_000) -> float:
    """Params/s of the engine's CPU Adam (fp32, torch.optim.Adam op order), best of 3."""
    g = torch.Generator().manual_seed(0)
    p, gr = torch.randn(n_params, generator=g), torch.randn(n_params, generator=g)
    m, v = torch.zeros(n_params), torch.zeros(n_params)
    eng = Engine.__new__(Engine)
    eng.betas, eng.eps, eng.lr, eng.t = (0.9, 0.999), 1e-8, 1e-3, 1
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        Engine._adam(eng, p, gr, m, v)
        best = min(best, time.perf_counter() - t0)
    return n_params / best


def gemm_flops(device: str, n: int = 1024, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of an n x n x n matmul on ``device`` (best of 3)."""
    dev = torch.device(device)
    a = torch.randn(n, n, device=dev, dtype=dtype)
    b = torch.randn(n, n, device=dev, dtype=dtype)
    best = float("inf")
    for _ in range(4):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        (a @ b).sum().item()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def block_flops_rate(cfg: GPTConfig, device: str, dtype: torch.dtype) -> float:
    """Achieved FLOP/s of one transformer block at ``cfg``'s shape, profiled like Fuyou's
    profiling step: 4F / (t_forward + t_recompute+backward), best of 3, F = 24Nh^2 + 4Nsh."""
    dev = torch.device(device)
    p = {n: t.to(dev, dtype) for n, t in init_params(
        GPTConfig(layers=1, hidden=cfg.hidden, heads=cfg.heads), 0)[0].items()}
    x = torch.randn(cfg.batch, cfg.seq, cfg.hidden, device=dev, dtype=dtype)
    g = torch.randn_like(x)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        sync()
        t0 = time.perf_counter()
        with torch.no_grad():
            block_forward(x, p, cfg.heads)
        pg = {n: t.detach().requires_grad_() for n, t in p.items()}
        xi = x.detach().requires_grad_()
        torch.autograd.backward(block_forward(xi, pg, cfg.heads), g)
        sync()
        best = min(best, time.perf_counter() - t0)
    N, h = cfg.batch * cfg.seq, cfg.hidden
    return 4.0 * (24.0 * N * h * h + 4.0 * N * cfg.seq * h) / best

def provenance(command: str, device: str) -> dict:
    """Machine, date, command and versions for a measurement."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return dict(host=platform.node(), cpu=cpu, cpu_count=os.cpu_count(), loadavg_1min=load[0],
                mem_gb=round(meminfo_gb(), 1), device=device,
                gpu=(torch.cuda.get_device_name(0) if device.startswith("cuda") else "none"),
                date_utc=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                command=command, torch=torch.__version__, python=platform.python_version(),
                torch_threads=torch.get_num_threads())


def record_fields(prov: dict, machine: str) -> dict:
    """:func:`provenance`'s facts as ``paperkit.measured.record`` fields (the rest in ``extra``)."""
    gpu = prov.get("gpu", "none")
    device = gpu if gpu != "none" else f"CPU: {prov['cpu']} ({prov['cpu_count']} cores)"
    software = {"python": str(prov["python"]), "torch": str(prov["torch"])}
    if torch.version.cuda and gpu != "none":
        software["cuda"] = str(torch.version.cuda)
    skip = {"python", "torch", "date_utc", "command", "note"}
    extra = {k: v for k, v in sorted(prov.items()) if k not in skip}
    return dict(machine=machine, device=device, driver=prov.get("driver"), software=software,
                date=str(prov["date_utc"])[:10], command=str(prov["command"]),
                notes=str(prov.get("note", "")), extra=extra)


def _parquet_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


def measured_profile(name: str, device: str, disk: tuple[float, float],
                     link: tuple[float, float], adam: float, flops: float,
                     disk_gb: float, description: str) -> HardwareProfile:
    """:func:`campaigns.profile_from_rates` with this machine's GPU memory (or RAM on a CPU)."""
    gpu_mem = (torch.cuda.get_device_properties(0).total_memory / 1e9
               if device.startswith("cuda") else meminfo_gb())
    return profile_from_rates(name, device, disk, link, adam, flops, disk_gb, description, gpu_mem)


def write_cpu_profile(out_dir: str | os.PathLike | None = None, name: str = "cpu",
                      mb: int = 512) -> Path:
    """Measure this machine (disk in a temp dir under ``out_dir``'s filesystem, memcpy, CPU
    Adam on 1 thread, fp32 GEMM) and write ``<name>_profile.json`` + its provenance record."""
    safe_name("name", name)
    out = fuyou_measured_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(dir=out) as d:
        disk = disk_bandwidth(d, mb)
        disk_gb = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize / 1e9
    prof = measured_profile(name, "cpu", disk, host_device_bandwidth("cpu", 128),
                            cpu_adam_rate(), gemm_flops("cpu", 512), disk_gb,
                            "Measured: this CPU machine (1 torch thread), one virtual disk")
    doc = dict(profile={k: v for k, v in dataclasses.asdict(prof).items() if k != "name"})
    prov = provenance(" ".join(["python -m paperkit.fuyou"] + sys.argv[1:]), "cpu")
    fname = f"{name}_profile.json"
    measured.write(out, {fname: (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()},
                   **record_fields(prov, name))
    return out / fname


def run_engine(size: str, schedule: str, device: str, store_dir: str | os.PathLike,
               steps: int | None = None) -> dict:
    """Run the engine at ``SIZES[size]``; median step time over steps 2..n (step 1 warms up)."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {list(SIZES)}")
    cfg, dtype, nsteps = SIZES[size]
    steps = steps or nsteps
    bps = THROTTLE_MBPS[size] * 1e6 if size in THROTTLE_MBPS else None
    with Engine(cfg, store_dir, schedule=schedule, device=device,
                compute_dtype=getattr(torch, dtype), read_bps=bps, write_bps=bps) as eng:
        eng.initialize(init_params(cfg, 0))
        r0, w0 = eng.store.bytes_read, eng.store.bytes_written
        times = []
        for s in range(steps):
            x, y = make_batch(cfg, s)
            t0 = time.perf_counter()
            eng.step(x, y)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        rd, wr = eng.store.bytes_read - r0, eng.store.bytes_written - w0
    t_iter = statistics.median(times[1:]) if len(times) > 1 else times[0]
    shape = ModelShape(params=float(cfg.params), layers=cfg.layers, hidden=cfg.hidden,
                       heads=cfg.heads, batch=cfg.batch, seq=cfg.seq)
    return dict(size=size, schedule=schedule, device=device, params=cfg.params,
                layers=cfg.layers, hidden=cfg.hidden, heads=cfg.heads, batch=cfg.batch,
                seq=cfg.seq, dtype=dtype, steps=steps, iteration_s=t_iter,
                disk_mbps=THROTTLE_MBPS.get(size, 0.0),
                tokens_per_s=cfg.batch * cfg.seq / t_iter,
                tflops=shape.iteration_flops() / t_iter / 1e12,
                ssd_read_bytes_per_step=rd / steps, ssd_write_bytes_per_step=wr / steps)


def campaign(out_dir: str | os.PathLike, machine: str, device: str, sizes: list[str],
             budget_s: float = 480.0, store_dir: str | os.PathLike | None = None,
             command: str = "") -> pl.DataFrame:
    """Bandwidths + engine runs (both schedules) + model predictions; writes parquet + json."""
    safe_name("machine", machine)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    if not device.startswith("cuda"):
        torch.set_num_threads(1)  # CPU: compute and the Adam thread each get one core
    base = Path(store_dir) if store_dir else out
    with tempfile.TemporaryDirectory(dir=base) as d:
        disk = disk_bandwidth(d, 1024 if device.startswith("cuda") else 64)
        disk_gb = os.statvfs(d).f_bavail * os.statvfs(d).f_frsize / 1e9
    link = host_device_bandwidth(device, 512 if device.startswith("cuda") else 32)
    adam = cpu_adam_rate(20_000_000 if device.startswith("cuda") else 1_000_000)
    flops = gemm_flops(device, 8192 if device.startswith("cuda") else 512,
                       torch.bfloat16 if device.startswith("cuda") else torch.float32)
    prof = measured_profile(machine, device, disk, link, adam, flops, disk_gb,
                            f"Measured: {machine}")
    rows, skipped = [], []
    for size in sizes:
        cfg = SIZES[size][0]
        if 16 * cfg.params > 0.8 * disk_gb * 1e9:
            skipped.append(f"{size}: 16P = {16 * cfg.params / 1e9:.3g} GB exceeds the disk")
            continue
        rate = block_flops_rate(cfg, device, getattr(torch, SIZES[size][1]))  # profiling step
        for schedule in ("fuyou", "serial"):
            if time.perf_counter() - t_start > budget_s:
                skipped.append(f"{size}/{schedule}: time budget {budget_s} s spent")
                continue
            with tempfile.TemporaryDirectory(dir=base) as d:
                row = run_engine(size, schedule, device, d)
            dtype = getattr(torch, SIZES[size][1])
            shape = ModelShape(params=float(cfg.params), layers=cfg.layers, hidden=cfg.hidden,
                               heads=cfg.heads, batch=cfg.batch, seq=cfg.seq,
                               compute_bytes=4 if dtype == torch.float32 else 2)
            sysname = "fuyou" if schedule == "fuyou" else "zero-infinity"
            hw = throttled(prof, size)
            t_blk = model_s(shape, hw.with_(gpu_peak_tflops=rate / 1e12), sysname)
            row.update(machine=machine, block_tflops=rate / 1e12, model_iteration_s=t_blk,
                       model_tflops=shape.iteration_flops() / t_blk / 1e12,
                       model_gemm_iteration_s=model_s(shape, hw, sysname))
            rows.append(row)
    df = pl.DataFrame(rows).sort(["size", "schedule"]) if rows else pl.DataFrame()
    prov = provenance(command, device)
    prov.update(disk_read_bps=disk[0], disk_write_bps=disk[1], h2d_bps=link[0],
                d2h_bps=link[1], cpu_adam_params_per_s=adam, gemm_flops=flops,
                skipped=skipped, sizes=sizes, wall_s=time.perf_counter() - t_start,
                note="engine schedules: fuyou vs serial (ZeRO-Infinity-like, re-implemented "
                     "in paperkit); model_* columns = paperkit model with this machine's measured "
                     "rates and the per-size profiled block rate "
                     "(model_gemm_*: isolated GEMM rate)")
    prov = json.loads(json.dumps(prov, default=str))
    measured.write(out, {f"{machine}.parquet": _parquet_bytes(df)}, **record_fields(prov, machine))
    return df


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.fuyou.measure",
                                 description="Measure bandwidths and the offloading engine")
    ap.add_argument("--out", type=output_dir("--out"), default=None,
                    help="output dir (default data/measured/fuyou)")
    ap.add_argument("--machine", type=output_name("--machine"), required=True,
                    help="machine label, e.g. h100")
    ap.add_argument("--device", type=torch_device, default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--sizes", default="gpu-s,gpu-m", help=f"comma list of {list(SIZES)}")
    ap.add_argument("--budget-s", type=positive_float, default=480.0)
    ap.add_argument("--store-dir", default=None, help="where the 'SSD' files go")
    ap.add_argument("--timeline", action="store_true",
                    help="only record the toy engine timeline of both schedules "
                         "(<machine>_timeline.parquet), for the notebook's Gantt figure")
    ap.add_argument("--steps", type=positive_int, default=2, help="--timeline: steps (last one is kept)")
    ap.add_argument("--disk-mbps", type=non_negative_float, default=150.0,
                    help="--timeline: emulated SSD bandwidth in MB/s (0 = unthrottled)")
    a = ap.parse_args(argv)
    if a.timeline:
        path = record_timelines(a.out, a.machine, a.device, a.steps, a.disk_mbps)
        print(json.dumps({"timeline": str(path), "machine": a.machine}, sort_keys=True))
        return 0
    sizes = [s for s in a.sizes.split(",") if s]
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        ap.error(f"--sizes: unknown {bad}; choose from {list(SIZES)}")
    df = campaign(fuyou_measured_dir(a.out), a.machine, a.device, sizes, a.budget_s,
                  a.store_dir, command="python -m paperkit.fuyou.measure " + " ".join(
                      argv if argv is not None else sys.argv[1:]))
    print(json.dumps({"rows": df.height, "machine": a.machine}, sort_keys=True))
    return 0



# -- engine timelines: measured once, committed, plotted deterministically ---------------------
def run_timelines(cfg: GPTConfig, steps: int, *, disk_mbps: float = 150.0, seed: int = 0,
                  device: str = "cpu") -> dict[str, pl.DataFrame]:
    """Run both schedules now; the last step's timeline per schedule (seconds from step start).

    ``disk_mbps`` throttles the emulated SSD (MB/s; 0 = unthrottled). Wall-clock intervals vary
    from run to run: for a reproducible figure plot :func:`load_timelines` instead.
    """
    bps = disk_mbps * 1e6 if disk_mbps > 0 else None
    out: dict[str, pl.DataFrame] = {}
    for sched in ("serial", "fuyou"):
        with tempfile.TemporaryDirectory() as d:
            _, _, tl, _ = train(cfg, d, steps, schedule=sched, seed=seed, device=device,
                                read_bps=bps, write_bps=bps)
        out[sched] = tl.filter(pl.col("step") == steps).sort(["resource", "start_s", "kind"])
    return out


def record_timelines(out_dir: str | os.PathLike | None = None, machine: str = "cpu",
                     device: str = "cpu", steps: int = 2, disk_mbps: float = 150.0,
                     seed: int = 0) -> Path:
    """Measure :data:`TIMELINE_SHAPE` with both schedules and commit-ready write
    ``<machine>_timeline.parquet`` plus ``<machine>_timeline.provenance.json``."""
    safe_name("machine", machine)
    out = fuyou_measured_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    cfg = GPTConfig(**TIMELINE_SHAPE)
    frames = run_timelines(cfg, steps, disk_mbps=disk_mbps, seed=seed, device=device)
    df = pl.concat([f.with_columns(schedule=pl.lit(s)) for s, f in frames.items()])
    prov = provenance("python -m paperkit.fuyou.measure --machine {} --device {} --timeline "
                      "--steps {} --disk-mbps {}".format(machine, device, steps, disk_mbps), device)
    prov.update(shape=TIMELINE_SHAPE, params=cfg.params, steps=steps, disk_mbps=disk_mbps,
                seed=seed)
    name = f"{machine}_timeline.parquet"
    measured.write(out, {name: _parquet_bytes(df)}, **record_fields(prov, machine))
    return out / name


if __name__ == "__main__":
    sys.exit(main())
