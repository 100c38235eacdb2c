"""Fuyou (arXiv:2403.06504v1): SSD-offloaded fine-tuning of 100B models on one GPU.

Design (one job per module). Role modules (what a notebook imports): ``data`` (the authors'
artifact measurements from ``data/public``, paperkit's from ``data/measured/fuyou``), ``compute``
(a facade over ``mechanism``, ``model``, ``sweeps``, ``memory``), ``plots`` (one function per
figure, returning it), ``claimvalues`` (every claim value), ``figures.toml`` (the figure index),
``__main__``, ``bench``, ``measure``. Internal modules:

* ``hardware``  -- hardware profiles as data (``profiles.toml`` + measured JSON profiles).
* ``mechanism`` -- the one performance model: closed-form per-iteration terms of Fuyou,
  ZeRO-Infinity (DeepSpeed defaults), ZeRO-Offload and Colossal-AI Gemini, ablation switches,
  the swap-amount decision; ``prediction`` wraps it as ``predict`` (CLI, figures, claims).
* ``fitting``   -- its three fitted parameters, fitted and validated on the authors' measured
  SSD sweep.
* ``shapes``    -- GPT model shape, parameter count, FLOPs (the one TFLOPS convention),
  activation bytes.
* ``sweeps``    -- figure data from the model.
* ``timeline``  -- the phase timeline of one iteration, drawn from the model's terms.
* ``memory``    -- capacity feasibility (GPU, CPU, SSD) and maximum trainable model size.
* ``engine``    -- a real torch offloading engine (fp32 master + Adam states in files on disk,
  layer-wise streaming/prefetch, overlapped CPU Adam, activation swapping) and a serialized
  ZeRO-Infinity-like schedule on the same code.
* ``measure``   -- the GPU/CPU measurement script (bandwidths + engine runs) with provenance.
* ``bench``     -- timing of the model sweep and a small engine run.

Imports point one way: ``mechanism`` imports ``memory`` (never the reverse).

Tiers: everything from ``mechanism``/``memory``/``prediction`` is *modelled* (the artifact points it is
fitted to are *public*); ``engine``/``measure`` outputs are
*measured* on the named machine. Paper numbers live only in ``data/claims/fuyou.toml``.
"""
