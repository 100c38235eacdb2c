"""paperkit.t3: a performance model of T3 (Pati et al., ASPLOS'24), fine-grained GEMM / reduce-scatter overlap.

Design (one job per module; every time is in seconds, every size in bytes, bandwidths in bytes/s):

- ``hardware``     : :class:`HardwareProfile` dataclass, loaded from ``hardware.toml`` (profile ``t3-table1``
                     is the paper's Table 1 system: 80 CUs at 1.4 GHz, 1 TB/s HBM2, 16 MB LLC, ring links
                     with 500 ns latency and 75 GB/s per direction by default).
- ``params``       : :class:`ModelParams`, the model's assumptions (tile sizes, packets per stage, ...)
                     and the one fitted contention parameter, read from ``fitted.toml``.
- ``workloads``    : models (Mega-GPT-2, T-NLG, GPT-3, PALM, MT-NLG), TP degrees and the four sublayers (OP, FC-2,
                     FC-1, IP) as GEMM shapes whose [T, H] output is reduce-scattered and all-gathered on a ring.
- ``closed_form``  : ring RS/AG times, GEMM time, Sequential / Ideal / Ideal-RS+NMC times, the contention-free
                     T3 pipeline bound and the DRAM bytes of a direct-to-peer ring by category.
- ``llc``          : the GEMM's LLC: explicit tiles and wave order; rereads from operand sizes against the LLC.
- ``dram``         : HBM2 as a queue of banks (GPGPU-Sim's HBM timing): what a traffic mix costs, FR-FCFS and MCA.
- ``des``          : a discrete-event model of one GPU of a symmetric ring (fluid resource sharing between
                     events): GEMM packets in the staggered stage order, the Tracker (256 entries, the producer
                     stalls when full), DMA, a link server, near-memory updates and the DRAM arbiter; also the
                     software CU-split baseline.
- ``model``        : ``simulate(workload, config)`` -> :class:`Result`, and ``sweep`` -> polars frames.
- ``fit``          : deterministic fit of the contention parameters to the abstract's T3-MCA numbers only.
- ``analysis``     : geomean/max summaries, byte reduction, end-to-end (Amdahl) projection, comm share.
- ``calibrate``    : torch GPU calibration script (GEMM, chunking, memory-bound kernels, contention).
- ``bench``        : the figure-sweep benchmark; ``__main__``: the CLI (``python -m paperkit.t3 simulate ...``).

Every number this package produces is tier ``modelled`` unless it comes from ``data/measured``.
"""

CONFIGS: tuple[str, ...] = ("sequential", "ideal", "ideal-nmc", "t3", "t3-mca", "sw-split")
"""Configuration names accepted by :func:`paperkit.t3.model.simulate` and the CLI."""

DRAM_CATEGORIES: tuple[str, ...] = ("gemm_read", "gemm_write", "rs_read", "rs_write", "rs_update", "ag_read",
                                     "ag_write")
"""DRAM byte categories (the Fig. 18 stack)."""
