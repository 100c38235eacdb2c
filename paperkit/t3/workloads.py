"""Workloads: Transformer models, TP degrees and the four GEMM -> RS -> AG sublayers (per GPU).

Each sublayer is a GEMM [T, K] x [K, H] with K = k_mult * H / TP whose output [T, H] (fp16 partial sums,
S = 2 T H bytes) is reduce-scattered and then all-gathered over a ring of TP GPUs.
"""
from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_ELEMENT = 2  # fp16 / bf16
DEFAULT_TOKENS = 8192
"""Default tokens per microbatch (T). The paper's token counts are unknown [U]; its RS validation sizes
(6-192 MiB) bracket Mega-GPT-2's [T, H] output for T = 1K..32K, and 8K is the middle of that sweep."""

MODELS: dict[str, dict] = {
    # name: hidden size H, layers, parameter count (public hyper-parameters [M]) and the TP degrees T3 uses [S1]
    "mega-gpt-2": {"hidden": 3072, "layers": 72, "params_b": 8.3, "tp": (8, 16)},
    "t-nlg": {"hidden": 4256, "layers": 78, "params_b": 17.0, "tp": (8, 16)},
    "gpt-3": {"hidden": 12288, "layers": 96, "params_b": 175.0, "tp": (32,)},
    "palm": {"hidden": 18432, "layers": 118, "params_b": 540.0, "tp": (32,)},
    "mt-nlg": {"hidden": 20480, "layers": 105, "params_b": 530.0, "tp": (32,)},
}

SUBLAYERS: dict[str, dict] = {
    # k_mult: the GEMM's K dimension is k_mult * H / TP
    "op": {"k_mult": 1, "pass": "fwd", "label": "OP"},
    "fc2": {"k_mult": 4, "pass": "fwd", "label": "FC-2"},
    "fc1": {"k_mult": 4, "pass": "bwd", "label": "FC-1"},
    "ip": {"k_mult": 3, "pass": "bwd", "label": "IP"},
}

MAIN_SET_MODELS = ("mega-gpt-2", "t-nlg")      # the Fig. 16 / abstract 30%-47% set (TP 8, 16)
LARGE_SET_MODELS = ("gpt-3", "palm", "mt-nlg")  # the TP 32 set (abstract: 29%)


@dataclass(frozen=True)
class Workload:
    """One sublayer on one GPU."""

    model: str
    tp: int
    sublayer: str
    tokens: int = DEFAULT_TOKENS

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {sorted(MODELS)}")
        if self.sublayer not in SUBLAYERS:
            raise ValueError(f"unknown sublayer {self.sublayer!r}; choose one of {sorted(SUBLAYERS)}")
        if self.tp < 2:
            raise ValueError(f"tp must be >= 2 for a ring collective, got {self.tp}")
        if self.tokens < 1:
            raise ValueError(f"tokens must be >= 1, got {self.tokens}")
        if (SUBLAYERS[self.sublayer]["k_mult"] * self.hidden) % self.tp:
            raise ValueError(f"{self.model}: {SUBLAYERS[self.sublayer]['k_mult']}*H={self.hidden} "
                             f"is not divisible by tp={self.tp}")

    @property
    def hidden(self) -> int:
        return MODELS[self.model]["hidden"]

    @property
    def k(self) -> int:
        """GEMM reduction dimension per GPU."""
        return SUBLAYERS[self.sublayer]["k_mult"] * self.hidden // self.tp

    @property
    def flops(self) -> float:
        """GEMM FLOPs per GPU: 2 T K H."""
        return 2.0 * self.tokens * self.k * self.hidden

    @property
    def out_bytes(self) -> float:
        """S: bytes of the [T, H] output that is reduce-scattered."""
        return float(BYTES_PER_ELEMENT * self.tokens * self.hidden)

    @property
    def a_bytes(self) -> float:
        """Bytes of the [T, K] activation (or gradient) operand."""
        return float(BYTES_PER_ELEMENT * self.tokens * self.k)

    @property
    def b_bytes(self) -> float:
        """Bytes of the [K, H] weight operand."""
        return float(BYTES_PER_ELEMENT * self.k * self.hidden)

    @property
    def label(self) -> str:
        return f"{self.model} TP{self.tp} {SUBLAYERS[self.sublayer]['label']}"


def workload_set(which: str = "main", tokens: int = DEFAULT_TOKENS) -> list[Workload]:
    """The 16 points of the main set (Mega-GPT-2/T-NLG x TP 8,16 x 4 sublayers), or the 12 of the 'large' set."""
    if which == "main":
        models = MAIN_SET_MODELS
    elif which == "large":
        models = LARGE_SET_MODELS
    else:
        raise ValueError(f"unknown workload set {which!r}; choose 'main' or 'large'")
    return [Workload(m, tp, s, tokens) for m in models for tp in MODELS[m]["tp"] for s in SUBLAYERS]
