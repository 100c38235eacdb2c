"""Hardware profiles (dataclass + ``hardware.toml``). Units: s, bytes, bytes/s, FLOP/s."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from paperkit.t3.params import replace_fields

PROFILE_FILE = Path(__file__).with_name("hardware.toml")
DEFAULT_PROFILE = "t3-table1"


@dataclass(frozen=True)
class HardwareProfile:
    """One GPU of the ring plus its links (raw values in the units of the field names)."""

    name: str
    n_cu: int
    clock_ghz: float
    flops_per_cu_clk: float
    gemm_efficiency: float
    dram_gbps: float
    llc_mb: float
    link_gbps: float
    link_latency_ns: float
    tracker_entries: int = 256
    cu_mem_gbps: float = 25.0
    gemm_table: str = ""
    """a measured GEMM-time table under data/measured (GEMM times then come from it, not the roofline)"""
    chunk_overhead_us: float = -1.0
    """measured per-chunk launch cost for the sw-split baseline (negative: use ModelParams.sw_chunk_overhead_us)"""
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        for f in ("n_cu", "clock_ghz", "flops_per_cu_clk", "dram_gbps", "llc_mb", "link_gbps", "cu_mem_gbps"):
            if getattr(self, f) <= 0:
                raise ValueError(f"hardware profile {self.name!r}: {f} must be > 0, got {getattr(self, f)}")
        if not 0 < self.gemm_efficiency <= 1:
            raise ValueError(f"hardware profile {self.name!r}: gemm_efficiency must be in (0, 1], "
                             f"got {self.gemm_efficiency}")
        if self.link_latency_ns < 0:
            raise ValueError(f"hardware profile {self.name!r}: link_latency_ns must be >= 0")

    # derived quantities in SI units
    @property
    def tier(self) -> str:
        """Data tier of results on this profile."""
        return "measured+modelled" if self.gemm_table else "modelled"

    @property
    def peak_flops(self) -> float:
        """Peak matrix FLOP/s of the whole GPU."""
        return self.n_cu * self.clock_ghz * 1e9 * self.flops_per_cu_clk

    @property
    def gemm_flops(self) -> float:
        """Achieved GEMM FLOP/s (peak x efficiency)."""
        return self.peak_flops * self.gemm_efficiency

    @property
    def dram_bw(self) -> float:
        """DRAM bandwidth, bytes/s."""
        return self.dram_gbps * 1e9

    @property
    def link_bw(self) -> float:
        """Link bandwidth per direction, bytes/s."""
        return self.link_gbps * 1e9

    @property
    def link_latency(self) -> float:
        """Link latency, s."""
        return self.link_latency_ns * 1e-9

    @property
    def llc_bytes(self) -> float:
        """LLC capacity, bytes (MiB)."""
        return self.llc_mb * 2**20

    def replace(self, **changes: float) -> "HardwareProfile":
        """A copy with some fields changed (e.g. ``link_gbps=150``), for sensitivity sweeps."""
        return replace_fields(self, "hardware field", **changes)


def profile_names(path: Path = PROFILE_FILE) -> list[str]:
    """Names of the profiles defined in ``hardware.toml`` (sorted)."""
    with open(path, "rb") as fh:
        return sorted(tomllib.load(fh))


def load_profile(name: str = DEFAULT_PROFILE, path: Path = PROFILE_FILE) -> HardwareProfile:
    """Load one named profile; raises ValueError naming the valid profiles if ``name`` is unknown."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    if name not in data:
        raise ValueError(f"unknown hardware profile {name!r}; choose one of {sorted(data)} "
                         f"(defined in {path.name})")
    return HardwareProfile(name=name, **data[name])
