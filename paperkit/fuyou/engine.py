"""A real SSD-offloading fine-tuning engine in torch (toy scale on CPU, real scale on a GPU).

Data placement: per transformer layer, the fp32 master params, Adam m and v, and a
compute-precision copy live in files on disk (``DiskStore``, written atomically). Per step:

* forward: compute-precision params are streamed disk -> host -> device layer by layer, a FIFO
  of ``fifo_depth`` layers prefetched by an I/O thread; each layer's input (the checkpoint) goes
  device -> host -> disk on the I/O thread (pipelined with compute);
* backward: params and checkpoints come back (prefetched in reverse), the layer is recomputed
  and back-propagated; its gradient goes to the CPU-Adam thread, which reads p32/m/v of layer i,
  writes back layer i+1 (delayed write-back: read before write), then runs Adam on layer i --
  while the device computes backward of layer i-1;
* synchronous update: the next step's forward of layer i waits for layer i's write-back event.

``schedule="serial"`` runs the ZeRO-Infinity-like baseline on the same code: no prefetch,
checkpoints kept in host memory, the optimizer (read -> Adam -> write per layer) after backward.

Model: L pre-LN GPT blocks (fused QKV, causal SDPA, GELU MLP 4h) on an embedded input, loss =
MSE of the final hidden state vs a target (the artifact's MSE mode). Intra-layer activation
swapping (the swap manager) is modelled, not implemented: the engine recomputes whole layers.
Adam math follows ``torch.optim.Adam``'s single-tensor path op by op (lerp_, mul_/addcmul_,
sqrt/div/add_, addcdiv_), so fp32 results are bit-identical (see tests).
"""
from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import torch
import torch.nn.functional as Fn

PARAM_NAMES = ("ln1_w", "ln1_b", "qkv_w", "qkv_b", "proj_w", "proj_b",
               "ln2_w", "ln2_b", "fc1_w", "fc1_b", "fc2_w", "fc2_b")


def param_shapes(h: int) -> dict[str, tuple[int, ...]]:
    """Shapes of one block's parameters (hidden size h)."""
    return {"ln1_w": (h,), "ln1_b": (h,), "qkv_w": (3 * h, h), "qkv_b": (3 * h,),
            "proj_w": (h, h), "proj_b": (h,), "ln2_w": (h,), "ln2_b": (h,),
            "fc1_w": (4 * h, h), "fc1_b": (4 * h,), "fc2_w": (h, 4 * h), "fc2_b": (h,)}


@dataclass(frozen=True)
class GPTConfig:
    """Toy GPT: layers, hidden, heads, sequence length, micro-batch."""

    layers: int = 4
    hidden: int = 64
    heads: int = 4
    seq: int = 32
    batch: int = 2

    def __post_init__(self) -> None:
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")

    @property
    def params_per_layer(self) -> int:
        return sum(math.prod(s) for s in param_shapes(self.hidden).values())

    @property
    def params(self) -> int:
        return self.layers * self.params_per_layer


def init_params(cfg: GPTConfig, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Seeded fp32 initial parameters, one dict per layer (GPT-2 style init)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(cfg.layers):
        d = {}
        for n, s in param_shapes(cfg.hidden).items():
            if n.endswith("_w") and n.startswith("ln"):
                d[n] = torch.ones(s)
            elif n.endswith("_b"):
                d[n] = torch.zeros(s)
            else:
                d[n] = torch.randn(s, generator=g) * 0.02
        out.append(d)
    return out


def make_batch(cfg: GPTConfig, step: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic (input hidden states, target) for one step, seeded by (seed, step)."""
    g = torch.Generator().manual_seed(seed * 100003 + step)
    x = torch.randn(cfg.batch, cfg.seq, cfg.hidden, generator=g)
    y = torch.randn(cfg.batch, cfg.seq, cfg.hidden, generator=g)
    return x, y


def block_forward(x: torch.Tensor, p: dict[str, torch.Tensor], heads: int) -> torch.Tensor:
    """One pre-LN GPT block: x + attn(LN(x)), then + MLP(LN(.))."""
    B, S, H = x.shape
    a = Fn.layer_norm(x, (H,), p["ln1_w"], p["ln1_b"])
    q, k, v = Fn.linear(a, p["qkv_w"], p["qkv_b"]).split(H, dim=-1)
    shp = (B, S, heads, H // heads)
    q, k, v = (t.reshape(shp).transpose(1, 2) for t in (q, k, v))
    o = Fn.scaled_dot_product_attention(q, k, v, is_causal=True)
    x = x + Fn.linear(o.transpose(1, 2).reshape(B, S, H), p["proj_w"], p["proj_b"])
    m = Fn.layer_norm(x, (H,), p["ln2_w"], p["ln2_b"])
    return x + Fn.linear(Fn.gelu(Fn.linear(m, p["fc1_w"], p["fc1_b"])), p["fc2_w"], p["fc2_b"])


def reference_train(cfg: GPTConfig, steps: int, lr: float = 1e-3, seed: int = 0,
                    betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
                    ) -> tuple[list[dict[str, torch.Tensor]], list[float]]:
    """Plain in-memory training with ``torch.optim.Adam``: (final params, losses)."""
    layers = [{n: t.clone().requires_grad_() for n, t in d.items()}
              for d in init_params(cfg, seed)]
    flat = [t for d in layers for n in PARAM_NAMES for t in [d[n]]]
    opt = torch.optim.Adam(flat, lr=lr, betas=betas, eps=eps, foreach=False)
    losses = []
    for s in range(steps):
        x, y = make_batch(cfg, s, seed)
        for d in layers:
            x = block_forward(x, d, cfg.heads)
        loss = Fn.mse_loss(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return [{n: t.detach().clone() for n, t in d.items()} for d in layers], losses


class Recorder:
    """Thread-safe log of busy intervals (resource, kind, layer, start, end) in seconds."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.rows: list[dict] = []
        self._lock = threading.Lock()

    def span(self, resource: str, kind: str, layer: int, step: int):
        rec = self

        class _Span:
            def __enter__(self):
                self.s = time.perf_counter()

            def __exit__(self, *exc):
                e = time.perf_counter()
                with rec._lock:
                    rec.rows.append(dict(step=step, resource=resource, kind=kind, layer=layer,
                                         start_s=self.s - rec.t0, end_s=e - rec.t0))
        return _Span()

    def frame(self) -> pl.DataFrame:
        schema = {"step": pl.Int64, "resource": pl.String, "kind": pl.String,
                  "layer": pl.Int64, "start_s": pl.Float64, "end_s": pl.Float64}
        with self._lock:
            return pl.DataFrame(list(self.rows), schema=schema).sort(
                ["step", "resource", "start_s", "kind", "layer"])


class DiskStore:
    """Per-layer flat fp32/compute tensors in files; atomic writes; byte counters; optional
    bandwidth throttle (bytes/s) emulating ONE device: throttled transfers from all threads
    are serialized and each holds the device for at least nbytes / bandwidth."""

    def __init__(self, root: str | os.PathLike, read_bps: float | None = None,
                 write_bps: float | None = None, fsync: bool = False) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.read_bps, self.write_bps, self.fsync = read_bps, write_bps, fsync
        self.bytes_read = 0
        self.bytes_written = 0
        self._lock = threading.Lock()
        self._device = threading.Lock()

    def path(self, name: str) -> Path:
        return self.root / f"{name}.bin"

    def _throttle(self, nbytes: int, bps: float | None, t0: float) -> None:
        if bps:
            left = nbytes / bps - (time.perf_counter() - t0)
            if left > 0:
                time.sleep(left)

    def write(self, name: str, t: torch.Tensor) -> None:
        """Write ``t`` (contiguous, any dtype) to ``name`` atomically (tmp file + rename)."""
        if self.write_bps:
            with self._device:
                self._write(name, t)
        else:
            self._write(name, t)

    def read(self, name: str, dtype: torch.dtype) -> torch.Tensor:
        """Read a flat tensor of ``dtype``."""
        if self.read_bps:
            with self._device:
                return self._read(name, dtype)
        return self._read(name, dtype)

    def _write(self, name: str, t: torch.Tensor) -> None:
        t0 = time.perf_counter()
        data = t.detach().contiguous().view(torch.uint8).numpy().tobytes()
        tmp = self.path(name).with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            if self.fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, self.path(name))
        self._throttle(len(data), self.write_bps, t0)
        with self._lock:
            self.bytes_written += len(data)

    def _read(self, name: str, dtype: torch.dtype) -> torch.Tensor:
        t0 = time.perf_counter()
        p = self.path(name)
        if not p.exists():
            raise FileNotFoundError(f"DiskStore: {p} missing; call Engine.initialize first")
        data = bytearray(p.read_bytes())
        out = torch.frombuffer(data, dtype=dtype)
        self._throttle(len(data), self.read_bps, t0)
        with self._lock:
            self.bytes_read += len(data)
        return out


def flatten(d: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([d[n].reshape(-1) for n in PARAM_NAMES])


def unflatten(flat: torch.Tensor, h: int) -> dict[str, torch.Tensor]:
    out, off = {}, 0
    for n, s in param_shapes(h).items():
        k = math.prod(s)
        out[n] = flat[off:off + k].view(s)
        off += k
    return out


class Engine:
    """Offloaded trainer. ``schedule`` in {"fuyou", "serial"}; ``device`` e.g. "cpu"/"cuda"."""

    def __init__(self, cfg: GPTConfig, store_dir: str | os.PathLike, schedule: str = "fuyou",
                 device: str = "cpu", lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, fifo_depth: int = 2, compute_dtype: torch.dtype = torch.float32,
                 read_bps: float | None = None, write_bps: float | None = None,
                 fsync: bool = False) -> None:
        if schedule not in ("fuyou", "serial"):
            raise ValueError(f"schedule must be 'fuyou' or 'serial', got {schedule!r}")
        if fifo_depth < 1:
            raise ValueError(f"fifo_depth must be >= 1, got {fifo_depth}")
        self.cfg, self.schedule, self.device = cfg, schedule, torch.device(device)
        self.lr, self.betas, self.eps, self.k = lr, betas, eps, fifo_depth
        self.cdtype = compute_dtype
        self.store = DiskStore(store_dir, read_bps, write_bps, fsync)
        self.t = 0
        self.rec = Recorder()
        self.updated = [threading.Event() for _ in range(cfg.layers)]
        self.io = ThreadPoolExecutor(1, thread_name_prefix="fuyou-io")
        self.cpu = ThreadPoolExecutor(1, thread_name_prefix="fuyou-adam")

    # ---- state on disk ------------------------------------------------------------------
    def initialize(self, layers: list[dict[str, torch.Tensor]]) -> None:
        """Write p32 (= given params), m = v = 0 and the compute copy for every layer."""
        for l, d in enumerate(layers):
            p = flatten(d).float()
            self.store.write(f"p32_{l}", p)
            self.store.write(f"m_{l}", torch.zeros_like(p))
            self.store.write(f"v_{l}", torch.zeros_like(p))
            self.store.write(f"pc_{l}", p.to(self.cdtype))
            self.updated[l].set()

    def params(self) -> list[dict[str, torch.Tensor]]:
        """Current fp32 master parameters read back from disk."""
        for e in self.updated:
            e.wait()
        return [{n: t.clone() for n, t in unflatten(self.store.read(f"p32_{l}", torch.float32),
                                                    self.cfg.hidden).items()}
                for l in range(self.cfg.layers)]

    def close(self) -> None:
        self.io.shutdown(wait=True)
        self.cpu.shutdown(wait=True)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transfers ------------------------------------------------------------------------
    def _load_params(self, l: int, phase: str) -> dict[str, torch.Tensor]:
        self.updated[l].wait()  # synchronous semantics: never read a stale layer
        with self.rec.span("SSD", f"param read ({phase})", l, self.t):
            flat = self.store.read(f"pc_{l}", self.cdtype)
        with self.rec.span("H2D", "param H2D", l, self.t):
            flat = flat.to(self.device, copy=True)
        return unflatten(flat, self.cfg.hidden)

    def _save_act(self, l: int, x: torch.Tensor, to_disk: bool) -> torch.Tensor | None:
        with self.rec.span("D2H", "act D2H", l, self.t):
            host = x.detach().to("cpu", copy=True)
        if not to_disk:
            return host
        with self.rec.span("SSD", "act write", l, self.t):
            self.store.write(f"act_{l}", host)
        return None

    def _load_act(self, l: int) -> torch.Tensor:
        c = self.cfg
        with self.rec.span("SSD", "act read", l, self.t):
            host = self.store.read(f"act_{l}", self.cdtype)
        with self.rec.span("H2D", "act H2D", l, self.t):
            return host.view(c.batch, c.seq, c.hidden).to(self.device, copy=True)

    # ---- CPU Adam -------------------------------------------------------------------------
    def _adam(self, p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> None:
        """In-place Adam, same op order as torch.optim.Adam (single-tensor path)."""
        b1, b2 = self.betas
        step = float(self.t)
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        bc1 = 1 - b1 ** step
        bc2 = 1 - b2 ** step
        denom = (v.sqrt() / bc2 ** 0.5).add_(self.eps)
        p.addcdiv_(m, denom, value=-(self.lr / bc1))

    def _read_group(self, l: int) -> tuple[torch.Tensor, ...]:
        with self.rec.span("SSD", "opt read", l, self.t):
            return tuple(self.store.read(f"{k}_{l}", torch.float32) for k in ("p32", "m", "v"))

    def _write_group(self, l: int, p: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> None:
        with self.rec.span("SSD", "opt write", l, self.t):
            self.store.write(f"p32_{l}", p)
            self.store.write(f"m_{l}", m)
            self.store.write(f"v_{l}", v)
            self.store.write(f"pc_{l}", p.to(self.cdtype))
        self.updated[l].set()

    def _opt_group(self, l: int, g: torch.Tensor, pending: list) -> None:
        """Fuyou: read group l, write back the previous group (delayed), Adam on group l."""
        state = self._read_group(l)
        if pending:
            self._write_group(*pending.pop())
        with self.rec.span("CPU", "adam", l, self.t):
            self._adam(state[0], g, state[1], state[2])
        pending.append((l, *state))

    def _flush(self, pending: list) -> None:
        if pending:
            self._write_group(*pending.pop())

    # ---- one step -------------------------------------------------------------------------
    def step(self, x: torch.Tensor, target: torch.Tensor) -> float:
        """One training step on (x, target) of shape (B, s, h); returns the loss."""
        c = self.cfg
        if x.shape != (c.batch, c.seq, c.hidden) or target.shape != x.shape:
            raise ValueError(f"x and target must have shape {(c.batch, c.seq, c.hidden)}, "
                             f"got {tuple(x.shape)} and {tuple(target.shape)}")
        self.t += 1
        loss, grad, acts = self._forward(x, target)
        self._backward(grad, acts)
        return float(loss.detach())

    def _forward(self, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list]:
        """Forward over the layers (under "fuyou" the parameters are prefetched ``k`` layers
        ahead and activations saved asynchronously), then the loss; returns (loss, its gradient
        with respect to the last activation, the activation-save futures)."""
        c, fuyou = self.cfg, self.schedule == "fuyou"
        L, k = c.layers, self.k
        sub = self.io.submit if fuyou else _now
        futs = {l: sub(self._load_params, l, "fwd") for l in range(min(k, L) if fuyou else 1)}
        acts: list = []
        x = x.to(self.device, self.cdtype)
        for l in range(L):
            p = futs.pop(l).result()
            nxt = l + k if fuyou else l + 1
            if nxt < L:
                futs[nxt] = sub(self._load_params, nxt, "fwd")
            acts.append(sub(self._save_act, l, x, fuyou))
            with torch.no_grad(), self.rec.span("GPU", "forward", l, self.t):
                x = block_forward(x, p, c.heads)
        with torch.enable_grad(), self.rec.span("GPU", "loss", -1, self.t):
            y = x.detach().requires_grad_()
            loss = Fn.mse_loss(y.float(), target.to(self.device).float())
            loss.backward()
        return loss, y.grad, acts

    def _backward(self, grad: torch.Tensor, acts: list) -> None:
        """Backward with recompute, layer by layer from the last; gradients go to the CPU, where
        the optimizer runs overlapped with the remaining layers ("fuyou") or after them."""
        c, fuyou = self.cfg, self.schedule == "fuyou"
        L, k = c.layers, self.k
        sub = self.io.submit if fuyou else _now

        def load_bwd(l):
            return self._load_params(l, "bwd"), (self._load_act(l) if fuyou
                                                 else acts[l].result().to(self.device))
        futs = {l: sub(load_bwd, l) for l in
                (range(L - 1, max(L - 1 - k, -1), -1) if fuyou else [L - 1])}
        pending: list = []
        opt_futs: list[Future] = []
        grads: dict[int, torch.Tensor] = {}
        for l in range(L - 1, -1, -1):
            p, xin = futs.pop(l).result()
            nxt = l - k if fuyou else l - 1
            if nxt >= 0:
                futs[nxt] = sub(load_bwd, nxt)
            with torch.enable_grad(), self.rec.span("GPU", "backward+recompute", l, self.t):
                p = {n: t.requires_grad_() for n, t in p.items()}
                xin = xin.detach().requires_grad_()
                out = block_forward(xin, p, c.heads)
                torch.autograd.backward(out, grad)
            grad = xin.grad
            with self.rec.span("D2H", "grad D2H", l, self.t):
                g = flatten({n: t.grad for n, t in p.items()}).to("cpu", torch.float32)
            self.updated[l].clear()
            if fuyou:
                opt_futs.append(self.cpu.submit(self._opt_group, l, g, pending))
            else:
                grads[l] = g
        if fuyou:
            opt_futs.append(self.cpu.submit(self._flush, pending))
            for f in opt_futs:
                f.result()
        else:
            for l in range(L - 1, -1, -1):
                state = self._read_group(l)
                with self.rec.span("CPU", "adam", l, self.t):
                    self._adam(state[0], grads[l], state[1], state[2])
                self._write_group(l, *state)

    def timeline(self) -> pl.DataFrame:
        """Measured busy intervals of all steps so far (seconds since engine creation)."""
        return self.rec.frame()


def _now(fn, *args) -> Future:
    """Run ``fn`` synchronously, returning a completed Future (serial schedule)."""
    f: Future = Future()
    f.set_result(fn(*args))
    return f


def train(cfg: GPTConfig, store_dir: str | os.PathLike, steps: int, schedule: str = "fuyou",
          lr: float = 1e-3, seed: int = 0, **kw) -> tuple[list[dict[str, torch.Tensor]],
                                                          list[float], pl.DataFrame, dict]:
    """Initialize from ``init_params(cfg, seed)`` and run ``steps`` steps: (params, losses,
    timeline, stats with step times and disk bytes)."""
    with Engine(cfg, store_dir, schedule=schedule, lr=lr, **kw) as eng:
        eng.initialize(init_params(cfg, seed))
        losses, times = [], []
        for s in range(steps):
            x, y = make_batch(cfg, s, seed)
            t0 = time.perf_counter()
            losses.append(eng.step(x, y))
            times.append(time.perf_counter() - t0)
        params = eng.params()
        stats = dict(step_s=times, bytes_read=eng.store.bytes_read,
                     bytes_written=eng.store.bytes_written)
        return params, losses, eng.timeline(), stats
