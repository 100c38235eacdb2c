"""GPT model shapes, parameter counts, FLOPs and activation bytes (fp16 compute).

TFLOPS convention (one formula for every system, paper section 1.3 of fuyou.md):
    FLOPs_iter = 4 * L * (24*B*s*h^2 + 4*B*s^2*h)        ("with recomputation", factor 4)
i.e. forward + backward (2x) + one full recompute, whether or not a system actually recomputes.
No LM-head term: the paper's workload uses an MSE loss on the final hidden state (no logits).
``model_flops`` (factor 3, no recomputation) is also reported, named, for comparison.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

VOCAB = 50257

# GPT-3-family shapes (layers, hidden, heads); the paper uses h=5120 for 13B.
PRESETS: dict[str, tuple[int, int, int]] = {
    "1.3B": (24, 2048, 16),
    "2.7B": (32, 2560, 32),
    "6.7B": (32, 4096, 32),
    "13B": (40, 5120, 40),
    "30B": (48, 7168, 56),
    "65B": (80, 8192, 64),
    "175B": (96, 12288, 96),
    "276B": (112, 14336, 112),
    "412B": (128, 16384, 128),
    "805B": (160, 20480, 160),
}

# Swap candidates per layer in the offloading-benefit order of the paper (FC2-out first):
# (name, bytes per token in units of h (fp16), forward FLOPs per token in units of h^2)
SWAP_CANDIDATES: tuple[tuple[str, float, float], ...] = (
    ("fc2_out", 2.0, 8.0),
    ("proj_out", 2.0, 2.0),
    ("qkv_out", 6.0, 6.0),
    ("fc1_out", 8.0, 8.0),
)


def param_count(layers: int, hidden: int, seq: int = 1024, vocab: int = VOCAB) -> int:
    """P = 12 L h^2 + 13 L h + V h + s h (GPT-2 block with biases, embeddings)."""
    return 12 * layers * hidden**2 + 13 * layers * hidden + vocab * hidden + seq * hidden


@dataclass(frozen=True)
class ModelShape:
    """A GPT model and its batch: L layers, hidden h, heads, sequence s, micro-batch B."""

    params: float
    layers: int
    hidden: int
    heads: int
    batch: int
    seq: int = 1024
    compute_bytes: int = 2  # bytes per compute-precision value (2: fp16/bf16, 4: fp32)

    def __post_init__(self) -> None:
        for k in ("params", "layers", "hidden", "heads", "batch", "seq"):
            if getattr(self, k) <= 0:
                raise ValueError(f"{k} must be > 0, got {getattr(self, k)}")
        if self.compute_bytes not in (2, 4):
            raise ValueError(f"compute_bytes must be 2 or 4, got {self.compute_bytes}")
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")

    @classmethod
    def preset(cls, name: str, batch: int, seq: int = 1024) -> "ModelShape":
        """A GPT-3-family model by name (see ``PRESETS``)."""
        if name not in PRESETS:
            raise ValueError(f"unknown model preset {name!r}; choose one of {list(PRESETS)}")
        L, h, a = PRESETS[name]
        return cls(params=float(param_count(L, h, seq)), layers=L, hidden=h, heads=a,
                   batch=batch, seq=seq)

    def with_batch(self, batch: int) -> "ModelShape":
        return replace(self, batch=batch)

    @property
    def tokens(self) -> int:
        return self.batch * self.seq

    @property
    def params_per_layer(self) -> float:
        """Parameters per streamed block: P spread evenly over the L layers."""
        return self.params / self.layers

    @property
    def layer_fwd_flops(self) -> float:
        """Forward FLOPs of one block: 24 B s h^2 + 4 B s^2 h."""
        h, N = self.hidden, self.tokens
        return 24.0 * N * h * h + 4.0 * N * self.seq * h

    def iteration_flops(self) -> float:
        """FLOPs credited per iteration under the factor-4 ("with recomputation") convention."""
        return 4.0 * self.layers * self.layer_fwd_flops

    def model_flops(self) -> float:
        """FLOPs per iteration without recomputation (factor 3), for reference."""
        return 3.0 * self.layers * self.layer_fwd_flops

    @property
    def ckpt_bytes_per_layer(self) -> float:
        """Two checkpoints per block (attention input, MLP input): 2 * cb * B s h bytes."""
        return 2.0 * self.compute_bytes * self.tokens * self.hidden

    @property
    def swap_candidate_bytes_per_layer(self) -> float:
        """All swappable GEMM outputs of one block in bytes (18 B s h at 2 bytes/value)."""
        return (sum(b for _, b, _ in SWAP_CANDIDATES) * self.tokens * self.hidden
                * self.compute_bytes / 2)

    def swap_saving(self, coeff: float) -> tuple[float, float]:
        """(bytes swapped, recompute FLOPs saved) per layer when a fraction ``coeff`` in [0, 1]
        of the candidate bytes is swapped, greedily in offloading-benefit order."""
        if not 0.0 <= coeff <= 1.0:
            raise ValueError(f"swap coefficient must be in [0, 1], got {coeff}")
        N, h = self.tokens, self.hidden
        budget = coeff * self.swap_candidate_bytes_per_layer
        moved = saved = 0.0
        for _, b, f in SWAP_CANDIDATES:
            cb, cf = b * N * h * self.compute_bytes / 2, f * N * h * h
            take = min(cb, budget - moved)
            if take <= 0:
                break
            moved += take
            saved += cf * take / cb
        return moved, saved

    def layer_working_bytes(self, flash: bool = True) -> float:
        """GPU bytes of one layer's activations while it is recomputed and differentiated:
        34 s B h (fp16) per layer (Korthikanti et al. 2022, Table 2: attention 11 sbh, MLP 19 sbh,
        two LayerNorms 4 sbh), plus 5 a s^2 B for the attention scores, softmax and dropout
        mask unless flash attention keeps them out of memory. Scaled by compute_bytes / 2."""
        s, b, h, a = self.seq, self.batch, self.hidden, self.heads
        per = 34.0 * s * b * h + (0.0 if flash else 5.0 * a * s * s * b)
        return per * self.compute_bytes / 2
