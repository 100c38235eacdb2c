"""Memory requirements with values derived by hand (so that one-line bugs such as "SSD need
14P -> 12P" or "2 * act_layer -> act_layer" fail), and the model's laws as Hypothesis properties:
memory is monotonic in batch and model size, time monotonic in work."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.fuyou.hardware import get_profile
from paperkit.fuyou.memory import requirements
from paperkit.fuyou.mechanism import Schedule, fuyou_terms, iteration_s
from paperkit.fuyou.prediction import predict
from paperkit.fuyou.shapes import ModelShape

HW = get_profile("fuyou-4090")
# A small shape whose numbers are easy by hand: L=2, h=1024, a=8, s=1024, B=4 (fp16).
S = ModelShape(params=1e9, layers=2, hidden=1024, heads=8, batch=4, seq=1024)
SBH = 4 * 1024 * 1024 * 2  # one fp16 activation tensor: 8 MiB = 8388608 B


def test_fuyou_needs_by_hand():
    gpu, cpu, ssd = requirements(S, HW, "fuyou", 0.0)
    fifo = 3 * 4 * 1024**2 * 2  # three blocks of 4h^2 fp16 = 25165824 B
    grads = 2 * 1e9 / 2  # one layer of fp16 gradients = 1e9 B
    work = 34 * SBH / 2  # 34 sbh bytes with flash attention = 142606336 B
    act_grads = 2 * SBH
    ckpt_next = 2 * SBH  # two fp16 checkpoints of the next layer
    assert gpu == pytest.approx(fifo + grads + work + act_grads + ckpt_next + 1.5e9)
    assert cpu == pytest.approx(6 * 1.2e9 * 2 + 8 * 7e8 * 4 + 3 * 2 * SBH + 16e9)
    assert ssd == pytest.approx(14e9)  # 14P: fp32 p, m, v + fp16 p; activations stay in DRAM
    gpu1, _, _ = requirements(S, HW, "fuyou", 1.0)
    assert gpu1 - gpu == pytest.approx(18 * SBH / 2)  # the next layer's swapped GEMM outputs


def test_zero_infinity_needs_by_hand():
    gpu, cpu, ssd = requirements(S, HW, "zero-infinity", pinned_pow2=False)
    buckets = (1e9 + 5e8 + 5e8) * 2  # live params + prefetch + reduce buckets, fp16
    ckpts = 2 * SBH  # one checkpoint per layer, 2 layers, on the GPU (cpu_checkpointing false)
    work = 34 * SBH / 2 + 5 * 8 * 1024**2 * 4  # no flash attention: + 5 a s^2 b
    assert gpu == pytest.approx(buckets + ckpts + work + 2 * SBH + 1.5e9)
    assert cpu == pytest.approx(2 * SBH + 4e9 + 5e9 + 16e9)
    assert ssd == pytest.approx(18e9)  # 14P + fp32 gradients 4P


def test_offload_needs_by_hand():
    gpu, cpu, ssd = requirements(S, HW, "zero-offload")
    assert gpu == pytest.approx(2e9 + 1e9 + 2 * SBH + 34 * SBH / 2 + 5 * 8 * 1024**2 * 4
                                + 2 * SBH + 1.5e9)
    assert (cpu, ssd) == (pytest.approx(16e9 + 16e9), 0.0)
    gpu_g, cpu_g, ssd_g = requirements(S, HW, "colossal-ai")
    # three fp16 copies of one layer's parameters (Gemini's chunks), one checkpoint per layer,
    # the working set without flash attention, the activation gradients, the reserve
    assert gpu_g == pytest.approx(3 * 2 * 5e8 + 2 * SBH + 34 * SBH / 2 + 5 * 8 * 1024**2 * 4 + 2 * SBH + 1.5e9)
    assert cpu_g == pytest.approx(18e9 + 16e9) and ssd_g == 0.0


def test_pinned_gradient_buffer_rounds_to_a_power_of_two():
    # ZeRO-Infinity pins its fp32 gradient buffer in a power-of-two block: 4P = 4e9 B -> 2^32 B
    _, cpu, _ = requirements(S, HW, "zero-infinity")
    assert cpu == pytest.approx(2 * SBH + 2.0 ** 32 + 5e9 + 16e9)
    with pytest.raises(ValueError, match="unknown system"):
        requirements(S, HW, "deepspeed-magic")


SYSTEMS = ("fuyou", "zero-infinity", "zero-offload", "colossal-ai")
LAYERS_H = [(2, 256), (4, 512), (8, 1024), (24, 2048), (40, 5120)]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(SYSTEMS), st.integers(0, 4), st.integers(1, 63), st.integers(1, 64),
       st.floats(0.0, 1.0))
def test_memory_grows_with_batch_and_model(system, i, b, db, c):
    L, h = LAYERS_H[i]
    small = ModelShape(params=12.0 * L * h * h, layers=L, hidden=h,
                       heads=8, batch=b)
    bigger_batch = small.with_batch(b + db)
    L2, h2 = LAYERS_H[min(i + 1, 4)]
    bigger_model = ModelShape(params=12.0 * L2 * h2 * h2, layers=L2, hidden=h2, heads=8, batch=b)
    base = requirements(small, HW, system, c)
    for other in (bigger_batch, bigger_model):
        need = requirements(other, HW, system, c)
        assert all(n >= m - 1e-6 for n, m in zip(need, base)), (system, other)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 48), st.integers(1, 48), st.floats(0.0, 1.0))
def test_time_grows_with_work(n, b, db, c):
    s = ModelShape.preset("13B", b)
    hw = HW.with_(n_ssd=n)
    t = iteration_s(fuyou_terms(s, hw, c))
    assert iteration_s(fuyou_terms(s.with_batch(b + db), hw, c)) >= t - 1e-9  # more tokens
    assert iteration_s(fuyou_terms(ModelShape.preset("30B", b), hw, c)) >= t - 1e-9  # more params
    assert iteration_s(fuyou_terms(s, hw.with_(n_ssd=n + 1), c)) <= t + 1e-9  # more drives


def test_ablations_cost_time():
    s = ModelShape.preset("13B", 16)
    on = predict(s, HW, "fuyou")
    for sw in ("overlap_opt", "pipelined_swap", "rearrange"):
        off = predict(s, HW, Schedule(**{sw: False, "swap_coeff": on.swap_coeff}))
        assert off.iteration_s > on.iteration_s, sw


def test_cpu_offload_terms_by_hand():
    """ZeRO-Offload and Colossal-AI Gemini, phase by phase, from the module docstring's rules:
    forward L F FLOPs + a quarter of the attention HBM time; backward 3 L F + three quarters,
    with the fp16 gradients (2P B) going down; CPU Adam over P params; the 2P B of updated fp16
    parameters going up once (ZeRO-Offload, or Gemini when they fit in half the GPU) or twice,
    fetched on demand in forward and backward (Gemini, model over half the GPU)."""
    from paperkit.fuyou.mechanism import ADAM_BYTES_PER_PARAM, attention_hbm_s, cpu_offload_terms, rates

    assert ADAM_BYTES_PER_PARAM == 30.0  # p, g, m, v read (16 B) + p, m, v written (12 B) + fp16 p (2 B)
    r, hbm = rates(HW), attention_hbm_s(S, HW)
    L, P, F = S.layers, S.params, S.layer_fwd_flops
    t = cpu_offload_terms(S, HW, "zero-offload")
    want = {"fwd": {"GPU": L * F / r["R"] + hbm / 4},
            "bwd": {"GPU": 3 * L * F / r["R"] + 3 * hbm / 4, "D2H": 2 * P / r["d2h"]},
            "opt": {"CPU": P / r["adam"]}, "upload": {"H2D": 2 * P / r["h2d"]}}
    assert set(t["phases"]) == set(want)
    for phase, res in want.items():
        assert t["phases"][phase] == pytest.approx(res), phase
    assert (t["stall_s"], t["coeff"], t["executed_flops"], t["ssd_write_b"]) == (0.0, 0.0, 4 * L * F, 0.0)
    assert t["bytes"] == pytest.approx({"GPU": 0.0, "H2D": 2 * P, "D2H": 2 * P, "SSD": 0.0, "CPU": 30.0 * P})
    assert cpu_offload_terms(S, HW, "colossal-ai") == t  # 2 GB of fp16 parameters fit in 12 GB
    big = ModelShape(params=2e10, layers=2, hidden=1024, heads=8, batch=4, seq=1024)  # 40 GB > 12 GB
    tb = cpu_offload_terms(big, HW, "colossal-ai")
    fetch = {"H2D": 2 * 2e10 / r["h2d"]}
    assert set(tb["phases"]) == {"fwd", "bwd", "opt", "fwd_fetch_h2d", "bwd_fetch_h2d"}
    assert tb["phases"]["fwd_fetch_h2d"] == pytest.approx(fetch) and tb["phases"]["bwd_fetch_h2d"] == pytest.approx(fetch)
    assert tb["bytes"]["H2D"] == pytest.approx(2 * 2 * 2e10) and tb["bytes"]["D2H"] == pytest.approx(2 * 2e10)
    edge = ModelShape(params=6e9, layers=2, hidden=1024, heads=8, batch=4, seq=1024)  # 12 GB: exactly half
    assert "upload" in cpu_offload_terms(edge, HW, "colossal-ai")["phases"]
    assert "upload" in cpu_offload_terms(big, HW, "zero-offload")["phases"]  # ZeRO-Offload never streams


def test_zero_infinity_terms_by_hand():
    """ZeRO-Infinity with DeepSpeed's defaults: every layer's fp16 parameters (2P B) fetched from
    the SSD and then over PCIe, waited for, in forward and again in backward; fp32 gradients (4P B)
    written to the SSD in backward; the step reads p, m, v (12P) and the gradients, runs CPU Adam,
    writes p, m, v and the fp16 copy (14P), one after the other (no pipelining)."""
    from paperkit.fuyou.mechanism import attention_hbm_s, rates, zero_infinity_terms

    r, hbm = rates(HW), attention_hbm_s(S, HW)
    L, P, F = S.layers, S.params, S.layer_fwd_flops
    t = zero_infinity_terms(S, HW)
    want = {"fwd": {"GPU": L * F / r["R"] + hbm / 4},
            "fwd_fetch_ssd": {"SSD": 2 * P / r["rd"]}, "fwd_fetch_h2d": {"H2D": 2 * P / r["h2d"]},
            "bwd": {"GPU": 3 * L * F / r["R"] + 3 * hbm / 4, "SSD": 4 * P / r["wr"], "D2H": 2 * P / r["d2h"]},
            "bwd_fetch_ssd": {"SSD": 2 * P / r["rd"]}, "bwd_fetch_h2d": {"H2D": 2 * P / r["h2d"]},
            "opt_read": {"SSD": 16 * P / r["rd"]}, "opt_adam": {"CPU": P / r["adam"]},
            "opt_write": {"SSD": 14 * P / r["wr"]}}
    assert set(t["phases"]) == set(want)
    for phase, res in want.items():
        assert t["phases"][phase] == pytest.approx(res), phase
    assert (t["stall_s"], t["coeff"], t["executed_flops"]) == (0.0, 0.0, 4 * L * F)
    # SSD traffic: fetched twice (4P) + gradients out (4P) + states and gradients in (16P), then
    # 14P of states and fp16 copy out: 38P in all, of which 18P written
    assert t["bytes"] == pytest.approx({"GPU": 0.0, "H2D": 4 * P, "D2H": 2 * P, "SSD": 38 * P, "CPU": 30 * P})
    assert t["ssd_write_b"] == pytest.approx(18 * P)


def test_check_fit_names_the_first_tier_over_with_its_numbers():
    from paperkit.fuyou.memory import check_fit

    gpu, cpu, ssd = requirements(S, HW, "fuyou")
    ok = check_fit(S, HW, "fuyou")
    assert ok.fits and ok.reason == "" and (ok.gpu_need_b, ok.cpu_need_b, ok.ssd_need_b) == (gpu, cpu, ssd)
    half = {"GPU": HW.with_(gpu_mem_gb=gpu / 2e9), "CPU": HW.with_(cpu_mem_gb=cpu / 2e9),
            "SSD": HW.with_(ssd_capacity_gb=ssd / 2e9 / HW.n_ssd)}
    for tier, hw in half.items():
        need = {"GPU": gpu, "CPU": cpu, "SSD": ssd}[tier]
        f = check_fit(S, hw, "fuyou")
        assert not f.fits and f.reason == f"{tier} memory: needs {need / 1e9:.4g} GB > {need / 2e9:.4g} GB", tier
    both = HW.with_(gpu_mem_gb=gpu / 2e9, cpu_mem_gb=cpu / 2e9)
    assert check_fit(S, both, "fuyou").reason.startswith("GPU memory")  # the first tier over is named
    assert check_fit(S, HW.with_(gpu_mem_gb=gpu / 2e9 * 1.001, n_gpus=2), "fuyou").fits  # capacity x GPUs
    assert check_fit(S, HW.with_(n_ssd=1, ssd_capacity_gb=ssd / 1e9 * 1.001), "fuyou").fits
    assert not check_fit(S, HW.with_(n_ssd=1, ssd_capacity_gb=ssd / 1e9 * 0.999), "fuyou").fits
    assert check_fit(S, HW.with_(cpu_mem_gb=cpu / 1e9 * 1.001), "fuyou").fits
    # a capacity equal to the need fits (the test is "need > capacity")
    assert check_fit(S, HW.with_(cpu_mem_gb=cpu / 1e9), "fuyou").fits == (cpu <= (cpu / 1e9) * 1e9)


@pytest.mark.parametrize("system", SYSTEMS)
def test_max_trainable_is_the_largest_preset_that_fits(system):
    from paperkit.fuyou.memory import check_fit, max_trainable
    from paperkit.fuyou.shapes import PRESETS

    for mem in (128, 512):
        fits = [ModelShape.preset(n, batch=1, seq=1024) for n in PRESETS]
        fits = [(s.params, n) for s, n in zip(fits, PRESETS)
                if check_fit(s, HW.with_(cpu_mem_gb=float(mem)), system).fits]
        assert max_trainable(HW, system, mem) == ((max(fits)[1], max(fits)[0]) if fits else ("none", 0.0))
    assert max_trainable(HW, system, 1.0) == ("none", 0.0)  # 1 GB of DRAM holds no preset's states
    big_batch = max_trainable(HW, system, 768, batch=4096)
    assert big_batch[1] <= max_trainable(HW, system, 768)[1]
