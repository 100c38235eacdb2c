"""The GEMM's LLC: an explicit tiling and wave order, whose DRAM rereads follow from the operand sizes.

Design:

- Tiling: the [T, H] output is cut into ``tile_m x tile_n`` workgroup tiles (R = ceil(T/tile_m) tile rows,
  C = ceil(H/tile_n) tile columns). Tile (r, c) reads the A row panel r ([tile_m, K]) and the B column panel
  c ([K, tile_n]).
- Raster: workgroups are dispatched in linear order, and the linear id walks **down a tile column first**
  (column-major C, the layout of the BLAS libraries the paper's GEMMs come from). A wave is
  ``n_cu x wg_per_cu`` consecutive tiles. When a wave holds at least R tiles it touches every A row panel;
  each B column panel is used by one wave (or two, for a column that straddles two waves, the second
  touch coming right after the first, so an LLC hit).
- LLC: LRU, as in GPGPU-Sim's L2 (``L:B:m:L`` in its configurations: LRU replacement). The A panels are
  reused once per wave in the same cyclic order, so under LRU they either all stay (the working set
  A + B fits in the capacity) or none does (a cyclic scan larger than an LRU cache hits nothing). Capacity:
  the whole LLC when the output bypasses it (T3's uncached near-memory updates), else the LLC minus one
  wave's write-allocated output tiles (the lines the running wave is writing).
- Result: GEMM DRAM read bytes = B once + A once (fits) or A's panels once per wave that touches them.

So OP (small K) fits and streams its inputs once; FC and IP (K = 4H/N, 3H/N) re-stream the activation
operand on every wave (at T = 8192, Mega-GPT-2 TP 16 IP, 12.9 MB, is the one IP that still fits).
"""
from __future__ import annotations

import functools
import math

from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.params import ModelParams
from paperkit.t3.workloads import BYTES_PER_ELEMENT, Workload


def tile_grid(w: Workload, p: ModelParams) -> tuple[int, int]:
    """(R tile rows, C tile columns) of the [T, H] output."""
    return math.ceil(w.tokens / p.tile_m), math.ceil(w.hidden / p.tile_n)


def wave_tiles(hw: HardwareProfile, p: ModelParams, n_cu: int | None = None) -> int:
    """Tiles per wave: concurrent workgroups on ``n_cu`` CUs."""
    return (n_cu or hw.n_cu) * p.wg_per_cu


def input_capacity(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool) -> float:
    """LLC bytes left to the GEMM's inputs: all of it (bypassed output) or minus one wave of output tiles."""
    if bypass_output:
        return hw.llc_bytes
    out_wave = wave_tiles(hw, p) * p.tile_m * p.tile_n * BYTES_PER_ELEMENT
    return max(0.0, hw.llc_bytes - out_wave)


def inputs_fit(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool = False) -> bool:
    """Whether the working set A + B fits in the capacity left to the inputs."""
    return w.a_bytes + w.b_bytes <= input_capacity(w, hw, p, bypass_output)


def rows_touched_per_wave(w: Workload, hw: HardwareProfile, p: ModelParams) -> list[int]:
    """Distinct A row panels each wave touches under the column-first raster."""
    rows, cols = tile_grid(w, p)
    wt, total = wave_tiles(hw, p), rows * cols
    out = []
    for start in range(0, total, wt):
        end = min(start + wt, total)
        n = end - start
        if n >= rows:
            out.append(rows)
        else:  # a run of n consecutive tiles in column-first order covers n rows (wrapping at most once)
            out.append(n)
    return out


@functools.lru_cache(maxsize=8192)
def gemm_read_bytes(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool = False) -> float:
    """GEMM DRAM read bytes after the LLC (see the module docstring)."""
    if inputs_fit(w, hw, p, bypass_output):
        return w.a_bytes + w.b_bytes
    rows, _ = tile_grid(w, p)
    panel = w.a_bytes / rows
    return w.b_bytes + panel * sum(rows_touched_per_wave(w, hw, p))


def reread_factor(w: Workload, hw: HardwareProfile, p: ModelParams, bypass_output: bool = False) -> float:
    """GEMM DRAM read bytes / (A + B bytes): 1 when the inputs fit."""
    return gemm_read_bytes(w, hw, p, bypass_output) / (w.a_bytes + w.b_bytes)
