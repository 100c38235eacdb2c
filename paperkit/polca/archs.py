"""The models POLCA characterises (the paper's E0 table), as public architecture shapes.

Torch-free, so that the notebooks' E0 table does not import torch; :mod:`.harness` builds the
models from these shapes on a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl


@dataclass(frozen=True)
class Arch:
    """Architecture shape (public configs). ``kind``: decoder | encoder | encdec."""

    name: str
    kind: str
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    params_b: float  # nominal parameter count, billions (E0 table)

    def toy(self) -> "Arch":
        """Same structure at toy size (CPU tests)."""
        return replace(self, hidden=64, layers=2, heads=4, ffn=128, vocab=256)

    def truncated(self, layers: int) -> "Arch":
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        return replace(self, layers=min(layers, self.layers), name=f"{self.name}-L{min(layers, self.layers)}")


ARCHS: dict[str, Arch] = {
    "roberta-large": Arch("roberta-large", "encoder", 1024, 24, 16, 4096, 50265, 0.355),
    "gpt-neox-20b": Arch("gpt-neox-20b", "decoder", 6144, 44, 64, 24576, 50432, 20.6),
    "opt-30b": Arch("opt-30b", "decoder", 7168, 48, 56, 28672, 50272, 30.0),
    "flan-t5-xxl": Arch("flan-t5-xxl", "encdec", 4096, 24, 64, 10240, 32128, 11.3),
    "bloom-176b": Arch("bloom-176b", "decoder", 14336, 70, 112, 57344, 250880, 176.0),
}


def e0_table() -> pl.DataFrame:
    """E0: models characterised, and how this package instantiates them."""
    how = {"roberta-large": "full size, random weights", "gpt-neox-20b": "full size, random weights (fp16/bf16)",
           "opt-30b": "full size on H200; layer-truncated on H100", "flan-t5-xxl": "full size, random weights",
           "bloom-176b": "full width, layer-truncated (~12 layers H100, ~25 H200): analogue"}
    rows = [{"model": a.name, "params_b": a.params_b, "class": a.kind, "hidden": a.hidden, "layers": a.layers,
             "instantiated_as": how[k]} for k, a in ARCHS.items()]
    return pl.DataFrame(rows).sort("params_b")
