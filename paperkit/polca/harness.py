"""GPU power-characterisation harness: LLM-shaped models with RANDOM weights (never zeros).

Models are built in plain torch from their public architecture shapes (:data:`ARCHS`):
GPT-NeoX-20B, OPT-30B (decoders), Flan-T5-XXL (encoder-decoder), RoBERTa-large (encoder), and a
layer-truncated BLOOM-176B (full width, ``layers`` cut to fit one GPU; an *analogue*, not
BLOOM-176B TP8). Weights ~ N(0, 0.02), token ids uniform random (GEMM power is data-dependent).

:func:`campaign` runs inference sweeps (prompt length x batch x output length: prefill then
token-by-token decode with a KV cache) and a few training steps, marking phases on a
:class:`~paperkit.polca.sampler.PowerSampler`; it writes ``runs.parquet`` (one row per phase
run, wall ms), ``power.parquet`` (samples), ``power_phases.parquet``, and a ``paperkit.measured/1``
provenance record beside each of runs and power (``runs.provenance.json``, ``power.provenance.json``).
On a CPU (tests) use ``toy=True``: tiny shapes, the sampler records nothing and says so.

CLI: ``python -m paperkit.polca.harness --out DIR [--toy] [--budget-s 540]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import torch
from torch import nn

from paperkit import measured
from paperkit.campaign import cuda_problem
from paperkit.cli import UserError, exit_on_bad_input, json_line, output_dir, positive_float
from paperkit.polca.archs import ARCHS, Arch, e0_table  # noqa: F401 -- the campaign's models
from paperkit.polca.sampler import PowerSampler


class Block(nn.Module):
    """One transformer block of ``arch``: self-attention (with an optional KV cache), optional
    cross-attention (encoder-decoder), GELU MLP; pre-LayerNorm."""

    def __init__(self, arch: Arch, cross: bool) -> None:
        super().__init__()
        h = arch.hidden
        self.heads = arch.heads
        self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
        self.qkv, self.o = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.cross = cross
        if cross:
            self.lnx, self.q_x, self.kv_x, self.o_x = nn.LayerNorm(h), nn.Linear(h, h), nn.Linear(h, 2 * h), nn.Linear(h, h)
        self.up, self.down = nn.Linear(h, arch.ffn), nn.Linear(arch.ffn, h)

    def _split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, -1).transpose(1, 2)

    def forward(self, x, cache=None, causal=True, enc=None):
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = self._split(q), self._split(k), self._split(v)
        if cache is not None and "k" in cache:
            k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
        if cache is not None:
            cache["k"], cache["v"] = k, v
        a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal and q.shape[2] > 1)
        x = x + self.o(a.transpose(1, 2).reshape(x.shape))
        if self.cross and enc is not None:
            qx = self._split(self.q_x(self.lnx(x)))
            kx, vx = (self._split(t) for t in self.kv_x(enc).chunk(2, dim=-1))
            ax = nn.functional.scaled_dot_product_attention(qx, kx, vx)
            x = x + self.o_x(ax.transpose(1, 2).reshape(x.shape))
        return x + self.down(nn.functional.gelu(self.up(self.ln2(x))))


class LM(nn.Module):
    """Embedding, encoder and/or decoder stacks of :class:`Block`, final norm and LM head."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.kind = arch.kind
        self.emb = nn.Embedding(arch.vocab, arch.hidden)
        n_enc = arch.layers if arch.kind in ("encoder", "encdec") else 0
        n_dec = arch.layers if arch.kind in ("decoder", "encdec") else 0
        self.enc = nn.ModuleList(Block(arch, False) for _ in range(n_enc))
        self.dec = nn.ModuleList(Block(arch, arch.kind == "encdec") for _ in range(n_dec))
        self.ln_f = nn.LayerNorm(arch.hidden)
        self.head = nn.Linear(arch.hidden, arch.vocab, bias=False)

    def encode(self, ids):
        x = self.emb(ids)
        for blk in self.enc:
            x = blk(x, causal=False)
        return x

    def step(self, ids, caches, enc=None):
        x = self.emb(ids)
        for blk, c in zip(self.dec, caches):
            x = blk(x, cache=c, causal=True, enc=enc)
        return self.head(self.ln_f(x[:, -1:]))

    def forward(self, ids):  # training / encoder-only forward
        if self.kind == "encoder":
            return self.head(self.ln_f(self.encode(ids)))
        enc = self.encode(ids) if self.kind == "encdec" else None
        if self.kind == "decoder":
            return self.step(ids, [None] * len(self.dec), enc)
        return self.step(ids[:, : max(1, ids.shape[1] // 4)], [None] * len(self.dec), enc)


def build_model(arch: Arch, device: str = "cpu", dtype=None, seed: int = 0) -> LM:
    """A :class:`LM` with the architecture's shapes and random N(0, 0.02) weights, allocated
    directly on ``device`` in ``dtype``."""
    dtype = dtype or torch.float32
    torch.manual_seed(seed)
    if arch.hidden % arch.heads:
        raise ValueError(f"{arch.name}: hidden {arch.hidden} not divisible by heads {arch.heads}")
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LM(arch)
    finally:
        torch.set_default_dtype(old)
    with torch.no_grad():
        for p in model.parameters():  # random, never zeros
            p.normal_(0.0, 0.02)
    return model


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def infer(model, arch: Arch, prompt: int, batch: int, out_tokens: int, device: str, sampler: PowerSampler,
          tag: str, gen=None) -> list[dict]:
    """One inference run: prefill (``prompt`` tokens x ``batch``), then ``out_tokens`` decode
    steps with a KV cache. Returns per-phase rows (wall ms)."""
    ids = torch.randint(0, arch.vocab, (batch, prompt), device=device, generator=gen)
    rows = []
    with torch.inference_mode():
        _sync(device)
        sampler.phase(f"prefill|{tag}")
        t0 = time.perf_counter()
        if arch.kind == "encoder":
            model.encode(ids)
            enc, caches = None, []
        elif arch.kind == "encdec":
            enc = model.encode(ids)
            caches = [{} for _ in model.dec]
            model.step(ids[:, :1], caches, enc)
        else:
            enc = None
            caches = [{} for _ in model.dec]
            model.step(ids, caches)
        _sync(device)
        t1 = time.perf_counter()
        rows.append({"phase": "prefill", "ms": (t1 - t0) * 1e3, "tokens": out_tokens})
        if arch.kind != "encoder" and out_tokens > 0:
            sampler.phase(f"decode|{tag}")
            nxt = ids[:, -1:]
            for _ in range(out_tokens):
                nxt = model.step(nxt, caches, enc).argmax(-1)
            _sync(device)
            t2 = time.perf_counter()
            rows.append({"phase": "decode", "ms": (t2 - t1) * 1e3, "tokens": out_tokens})
        sampler.phase("idle")
    return rows


def train_steps(model, arch: Arch, seq: int, batch: int, steps: int, device: str, sampler: PowerSampler,
                tag: str, gen=None) -> list[dict]:
    """A few SGD training steps (forward, backward, update); one row per step."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    rows = []
    for i in range(steps):
        ids = torch.randint(0, arch.vocab, (batch, seq), device=device, generator=gen)
        _sync(device)
        sampler.phase(f"train-step|{tag}")
        t0 = time.perf_counter()
        logits = model(ids)
        loss = logits.float().logsumexp(-1).mean()
        loss.backward()
        sampler.phase(f"optimizer|{tag}")
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(device)
        rows.append({"phase": "train-step", "ms": (time.perf_counter() - t0) * 1e3, "tokens": 0, "step": i})
    sampler.phase("idle")
    return rows


@dataclass(frozen=True)
class CampaignConfig:
    """What the campaign runs. ``toy``: tiny shapes on CPU for tests."""

    toy: bool = True
    models: tuple[str, ...] = ("gpt-neox-20b", "bloom-176b", "flan-t5-xxl", "roberta-large", "opt-30b")
    bloom_layers: int = 12
    prompts: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192)
    batches: tuple[int, ...] = (1, 2, 4, 8, 16)
    outputs: tuple[int, ...] = (32, 128)
    train_models: tuple[str, ...] = ("roberta-large", "flan-t5-xxl")
    train_steps: int = 5
    budget_s: float = 540.0
    idle_s: float = 10.0
    hz: float = 50.0
    seed: int = 0

    @classmethod
    def tiny(cls) -> "CampaignConfig":
        return cls(toy=True, models=("gpt-neox-20b", "flan-t5-xxl", "roberta-large", "bloom-176b"),
                   prompts=(16, 32), batches=(1, 2), outputs=(4,), train_models=("roberta-large",),
                   train_steps=2, idle_s=0.0)


def campaign(out: Path, cfg: CampaignConfig = CampaignConfig.tiny()) -> dict:
    """Run the sweep and write results under ``out``; returns the provenance dict."""
    unknown = [m for m in cfg.models + cfg.train_models if m not in ARCHS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; choose from {sorted(ARCHS)}")
    device = "cuda" if torch.cuda.is_available() and not cfg.toy else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    t_start = time.perf_counter()
    rows: list[dict] = []
    skipped: list[str] = []
    with PowerSampler(hz=cfg.hz) as smp:
        smp.phase("idle-baseline")
        time.sleep(cfg.idle_s)
        for name in cfg.models:
            arch = ARCHS[name].truncated(cfg.bloom_layers) if name == "bloom-176b" else ARCHS[name]
            arch = arch.toy() if cfg.toy else arch
            try:
                model = build_model(arch, device, dtype, cfg.seed).eval()
            except (RuntimeError, MemoryError) as exc:  # e.g. OPT-30B on a small card
                skipped.append(f"{name}: {type(exc).__name__}")
                continue
            grid = [(p, 1, cfg.outputs[-1]) for p in cfg.prompts] + \
                   [(cfg.prompts[1] if len(cfg.prompts) > 1 else cfg.prompts[0], b, cfg.outputs[-1]) for b in cfg.batches[1:]] + \
                   [(cfg.prompts[0], 1, o) for o in cfg.outputs[:-1]]
            for p, b, o in grid:
                if time.perf_counter() - t_start > cfg.budget_s:
                    skipped.append(f"{name} p{p} b{b} o{o}: budget")
                    continue
                try:
                    for r in infer(model, arch, p, b, o, device, smp, f"{name}|p{p}|b{b}|o{o}", gen):
                        rows.append({"model": arch.name, "prompt": p, "batch": b, "out": o, "step": -1, **r})
                except torch.OutOfMemoryError:
                    skipped.append(f"{name} p{p} b{b}: OOM")
                    torch.cuda.empty_cache()
            if name in cfg.train_models:
                model.train()
                for r in train_steps(model, arch, cfg.prompts[0], 1 if not cfg.toy else 2, cfg.train_steps,
                                     device, smp, name, gen):
                    rows.append({"model": arch.name, "prompt": cfg.prompts[0], "batch": 1, "out": 0, **r})
            del model
            if device == "cuda":
                torch.cuda.empty_cache()
        smp.phase("end")
    runs = pl.DataFrame(rows, schema={"model": pl.String, "prompt": pl.Int64, "batch": pl.Int64, "out": pl.Int64,
                                      "step": pl.Int64, "phase": pl.String, "ms": pl.Float64, "tokens": pl.Int64})
    runs = runs.sort(["model", "prompt", "batch", "out", "phase", "step"])
    runs.write_parquet(out / "runs.parquet")
    smp.write(out / "power.parquet")
    prov = {"device": torch.cuda.get_device_name(0) if device == "cuda" else f"cpu ({platform.machine()})",
            "torch": torch.__version__, "toy": cfg.toy, "sampler_status": smp.status,
            "samples": smp.frame().height, "runs": runs.height, "skipped": skipped,
            "wall_s": round(time.perf_counter() - t_start, 1), "weights": "random N(0, 0.02), never zeros",
            "gpu_settings": "read-only: clocks, power limits, persistence never changed"}
    _record(out, prov)
    return prov


def _driver_version() -> str | None:
    """The NVIDIA driver version from NVML, or None (no nvidia-ml-py, no GPU)."""
    try:
        import pynvml  # noqa: PLC0415  (lazy: not installed on CPU machines)
        pynvml.nvmlInit()
        v = pynvml.nvmlSystemGetDriverVersion()
        return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:  # noqa: BLE001 -- NVMLError or ImportError: no driver to report
        return None


def _record(out: Path, prov: dict) -> None:
    """One ``paperkit.measured/1`` provenance record per data file (runs, power samples): machine =
    the output folder's name, the campaign's own facts under ``extra``."""
    fields = dict(
        machine=out.name, device=prov["device"], driver=_driver_version(),
        software={"python": platform.python_version(), "torch": torch.__version__,
                  "cuda": torch.version.cuda or "none"},
        date=time.strftime("%Y-%m-%d", time.gmtime()),
        command=f"make gpu-polca CARD={out.name}" if not prov["toy"] else
        f"python -m paperkit.polca.harness --toy --out {out}",
        notes=prov["gpu_settings"],
        extra={k: v for k, v in prov.items() if k not in ("device", "gpu_settings", "torch")})
    for name in ("runs.parquet", "power.parquet"):
        if (out / name).is_file():
            measured.write(out, {name: (out / name).read_bytes()}, **fields)


def summarise(runs: pl.DataFrame, power: pl.DataFrame, phases: pl.DataFrame, tdp_w: float) -> pl.DataFrame:
    """Campaign output -> a perf-like table (one row per model, prompt, batch, out) that
    :func:`paperkit.polca.phase.fit_phase_model` accepts: ``peak_power`` = max instant power in the
    prefill phase, ``average_power`` = mean over prefill + decode (both x ``tdp_w``, per GPU 0),
    ``prompt_ms``, ``token_ms``. Empty when the sampler recorded nothing."""
    if tdp_w <= 0:
        raise ValueError(f"tdp_w must be > 0 W, got {tdp_w}")
    ph = phases.sort("t_s").with_columns(pl.col("t_s").shift(-1).alias("t_end")).drop_nulls("t_end")
    ph = ph.filter(pl.col("phase").str.contains(r"^(prefill|decode)\|"))
    if power.height == 0 or ph.height == 0:
        return pl.DataFrame()
    parts = ph["phase"].str.split("|")
    ph = ph.with_columns(parts.list.get(0).alias("kind"), parts.list.get(1).alias("model"),
                         parts.list.get(2).str.slice(1).cast(pl.Int64).alias("prompt"),
                         parts.list.get(3).str.slice(1).cast(pl.Int64).alias("batch"),
                         parts.list.get(4).str.slice(1).cast(pl.Int64).alias("out"))
    g0 = power.filter(pl.col("gpu") == power["gpu"].min()).sort("t_s")
    rows = []
    for r in ph.iter_rows(named=True):
        w = g0.filter((pl.col("t_s") >= r["t_s"]) & (pl.col("t_s") < r["t_end"]))["power_inst_w"]
        if w.len():
            rows.append({**{k: r[k] for k in ("kind", "model", "prompt", "batch", "out")},
                         "peak_w": float(w.max()), "sum_w": float(w.sum()), "n": w.len()})
    if not rows:
        return pl.DataFrame()
    s = pl.DataFrame(rows)
    keys = ["model", "prompt", "batch", "out"]
    agg = s.group_by(keys).agg(
        (pl.col("peak_w").filter(pl.col("kind") == "prefill").max() / tdp_w).alias("peak_power"),
        (pl.col("sum_w").sum() / pl.col("n").sum() / tdp_w).alias("average_power"))
    lat = runs.filter(pl.col("phase").is_in(["prefill", "decode"])).group_by(keys).agg(
        pl.col("ms").filter(pl.col("phase") == "prefill").mean().alias("prompt_ms"),
        (pl.col("ms").filter(pl.col("phase") == "decode") / pl.col("out").filter(pl.col("phase") == "decode"))
        .mean().alias("token_ms"))
    base = runs.select(pl.col("model").str.replace(r"-L\d+$", "").alias("m"), "model").unique()
    out = agg.join(lat, on=keys, how="inner").join(base, on="model", how="left")
    return out.with_columns((pl.col("prompt") * pl.col("batch")).alias("tokens"),
                            pl.col("prompt").alias("prompt_size"), pl.col("batch").alias("batch_size"),
                            pl.lit(False).alias("mean_artefact")).drop("m").sort(keys)


@exit_on_bad_input
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="paperkit.polca.harness", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=output_dir("--out"), required=True,
                    help="output folder (e.g. data/measured/polca/<card>)")
    ap.add_argument("--toy", action="store_true", help="tiny shapes on CPU (tests)")
    ap.add_argument("--budget-s", type=positive_float, default=540.0, help="stop starting new configs after this")
    a = ap.parse_args(argv)
    why = None if a.toy else cuda_problem()
    if why:  # the full campaign on a CPU runs for hours and takes all the memory
        raise UserError(f"{why}; run the campaign on a machine with an NVIDIA GPU, or --toy")
    cfg = CampaignConfig.tiny() if a.toy else CampaignConfig(toy=False, budget_s=a.budget_s)
    print(json_line(campaign(Path(a.out), cfg)))


if __name__ == "__main__":
    main()

