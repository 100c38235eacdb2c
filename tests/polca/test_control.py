"""The controller API, user controllers (in Python and from the CLI, hostile paths), the brake
and the safe-level bisection."""

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.polca import control, reference, rowtrace, safelevel, sim
from paperkit.polca import row as R

ROOT = Path(__file__).resolve().parents[2]

USER = '''
import numpy as np
from paperkit.polca.control import Caps

class HalfLp:
    """Caps LP servers to half clock above 85 %, releases below 80 %."""
    name = "half LP"

    def stages(self):
        return [Caps(), Caps(lp=0.5, hp=1.0)]

    def decide(self, p, stage):
        go = np.where(p > 0.85, 1, -1) if stage == 0 else np.where(p < 0.80, 0, -1)
        return go.astype(np.int64)
'''


@lru_cache(maxsize=1)
def row():
    return R.build(R.RowConfig(days=1, oversub=(0.0, 0.3, 0.5), lp_shares=(0.5,), samples_per_hour=100))


def _ns(src: str) -> dict:
    ns: dict = {}
    exec(compile(src, "user", "exec"), ns)
    return ns


def test_builtins_are_controllers_and_kind_is_open():
    for cls in control.BUILTIN.values():
        assert isinstance(control.check(cls()), control.Controller)
    ctl = _ns(USER)["HalfLp"]()
    pol = sim.Policy(kind="anything I like", controller=ctl)
    assert pol.ctl() is ctl and pol.max_stage == 1
    with pytest.raises(ValueError, match="object is not a controller: missing name, stages, decide"):
        sim.Policy(kind="x", controller=object())


def test_power_cap_baseline_is_at_the_papers_caps():
    assert control.PAPER_POWER_CAPS == (362.5 / 400, 325 / 400)  # 325-400 W of a 400 W A100
    assert R.RowConfig().cap_levels == control.PAPER_POWER_CAPS
    st_ = control.PowerCap().stages()
    assert [c.lp for c in st_] == [1.0, 0.90625, 0.8125] and st_[1].knob == "power"


def test_two_threshold_rule_by_hand():
    p = np.array([0.70, 0.81, 0.90, 0.83, 0.74])
    assert control.two_threshold(p, 0, 3, 0.8, 0.89, 0.05).tolist() == [-1, 1, 2, 1, -1]
    assert control.two_threshold(p, 1, 3, 0.8, 0.89, 0.05).tolist() == [0, -1, 2, -1, 0]
    assert control.two_threshold(p, 2, 3, 0.8, 0.89, 0.05).tolist() == [1, 1, 3, 1, 1]
    assert control.two_threshold(p, 2, 2, 0.8, 0.89, 0.05).tolist() == [1, 1, -1, 1, 1]
    assert control.two_threshold(p, 0, 0, 0.8, 0.89, 0.05).tolist() == [-1] * 5


def test_user_controller_runs_and_caps_only_lp():
    rw = row()
    pol = sim.Policy(kind="half LP", controller=_ns(USER)["HalfLp"]())
    res = sim.run(rw.classes(0.5), rw.p_prov_w, pol, rw.cm, rw.pm)
    assert res.timeline[:, 1].max() == 1
    assert res.metrics["lp_tbt_p50_impact"] > 0 and res.metrics["hp_tbt_p50_impact"] == 0.0


def test_bad_decide_output_is_named():
    class Bad:
        name = "bad"

        def stages(self):
            return [control.Caps()]

        def decide(self, p, stage):
            return np.full(p.shape, 3)

    rw = row()
    with pytest.raises(ValueError, match="bad: decide.. asked for a stage outside -1..0"):
        sim.run(rw.classes(0.3), rw.p_prov_w, sim.Policy(kind="bad", controller=Bad()), rw.cm, rw.pm)


def test_brake_fires_at_100_percent_of_the_seen_power():
    """The brake threshold is 100 % of provisioned power [Q]: the first brake lands brake_s after
    the first telemetry tick at >= 1.0 (at 1.05 it would land later, or never)."""
    rw = row()
    pol = sim.Policy(kind="brake-only")
    assert pol.brake_at == 1.0
    agg = rw.classes(0.5)
    seen = rowtrace.metered(agg.uncapped_row_w() / rw.p_prov_w, pol.meter_s)[:: pol.tel_s]
    first = int(np.flatnonzero(seen >= 1.0)[0]) * pol.tel_s
    assert seen.max() < 1.05 or int(np.flatnonzero(seen >= 1.05)[0]) * pol.tel_s > first
    tl, n = sim.control(agg, rw.p_prov_w, pol, rw.cm)
    assert n >= 1 and int(tl[tl[:, 2] == 1][0, 0]) == first + pol.brake_s


@settings(max_examples=8, deadline=None)
@given(x=st.sampled_from([0.3, 0.5]), brake_s=st.integers(0, 10), hold=st.integers(1, 120),
       meter=st.sampled_from([1, 5, 10, 30]), kind=st.sampled_from(["brake-only", "polca", "power-cap"]))
def test_power_under_budget_once_the_brake_acts(x, brake_s, hold, meter, kind):
    """Property: while the brake holds, the TRUE row power stays under the provisioned power."""
    rw = row()
    pol = sim.Policy(kind=kind, brake_s=brake_s, brake_hold_s=hold, meter_s=meter)
    res = sim.run(rw.classes(x), rw.p_prov_w, pol, rw.cm, rw.pm, keep_power=True)
    tl = res.timeline
    ends = np.r_[tl[1:, 0], rw.agg.seconds]
    for (t0, _, brk), t1 in zip(tl, ends):
        if brk:
            assert res.power[t0:t1].max() < 1.0


def test_reference_knows_only_the_legacy_kinds():
    rw = row()
    pol = sim.Policy(kind="x", controller=_ns(USER)["HalfLp"]())
    with pytest.raises(ValueError, match="knows only"):
        reference.control_reference(rw.classes(0.3), rw.p_prov_w, pol, rw.cm)


def test_largest_safe_bisection_by_hand():
    calls = []

    def ok(k):
        calls.append(k)
        return k <= 7

    assert safelevel.largest_safe(ok, 20) == 7 and len(calls) <= 6
    assert safelevel.largest_safe(lambda k: True, 20) == 20
    assert safelevel.largest_safe(lambda k: False, 20) == -1
    assert safelevel.largest_safe(lambda k: k <= 0, 20) == 0


def test_safe_criterion_each_clause_fails_alone():
    good = {"breaker_trips": 0.0, "ups_trips": 0.0, "brake_events": 0.0, "hp_ttft_p50_impact": 0.009,
            "hp_tbt_p50_impact": 0.0}
    assert safelevel.safe(good)
    for k, v in (("breaker_trips", 1.0), ("ups_trips", 1.0), ("brake_events", 1.0),
                 ("hp_ttft_p50_impact", 0.01), ("hp_tbt_p50_impact", 0.011)):
        assert not safelevel.safe({**good, k: v}), k


def test_summary_median_and_range():
    s = safelevel.Search(seeds=(0, 1, 2, 3, 4))  # 1 % lattice by default
    out = safelevel.summary([28, 32, 30, 35, 32], s)
    assert out["safe_oversub"] == 0.32 and out["range"] == [0.28, 0.35] and out["seeds"] == 5
    assert out["resolution"] == 0.01 and set(out) == {"safe_oversub", "range", "seeds", "resolution", "criterion"}
    assert safelevel.summary([3, 4], safelevel.Search(seeds=(0, 1), resolution=0.025))["range"] == [0.075, 0.1]


def test_lattice_top_and_levels():
    s = safelevel.Search(max_added=20, resolution=0.01)
    assert s.top == 50 and s.level(33) == 0.33 and s.level(50) == 0.5
    assert safelevel.Search(max_added=12, resolution=0.025).top == 12
    assert safelevel.Search(max_added=13, resolution=0.01).top == 32  # 13 / 40 = 0.325: 0.32 is the last point
    for bad in (0.0, -0.01, float("nan"), 0.6):
        with pytest.raises(ValueError, match="resolution"):
            safelevel.Search(max_added=20, resolution=bad)


def test_servers_and_budget_by_hand():
    # whole-server levels: the paper's row and its budget
    assert R.servers_at(40, 0.0) == 40 and R.servers_at(40, 0.3) == 52 and R.servers_at(40, 0.025) == 41
    assert R.budget_w(1000.0, 40, 0.3) == pytest.approx(1000.0) and R.budget_w(1000.0, 40, 0.0) == 1000.0
    # +31 %: 52.4 servers are needed, so 53 whole ones on 53 / 52.4 of the budget
    assert R.servers_at(40, 0.31) == 53
    assert R.budget_w(1000.0, 40, 0.31) == pytest.approx(1000.0 * 53 / 52.4)
    # the level a row is at is servers per provisioned watt: N p_srv / P - 1 = x for any x
    for x in (0.0, 0.01, 0.137, 0.31, 0.5):
        n, p = R.servers_at(40, x), R.budget_w(1000.0, 40, x)
        assert n * 1000.0 / 40 / p - 1 == pytest.approx(x) and 0 <= n - 40 * (1 + x) < 1
    for bad in (-0.01, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="oversubscription level"):
            R.servers_at(40, bad)


@lru_cache(maxsize=1)
def fine_row():
    return R.build(R.RowConfig(days=1, oversub=(0.0, 0.1, 0.275, 0.3, 0.325), lp_shares=(0.5,)))


def test_lazy_safety_test_equals_the_full_run():
    rw, got = fine_row(), set()
    for x in (0.1, 0.26, 0.3, 0.32):  # 44, 51, 52 and 53 servers
        agg, p_prov = rw.at(x)
        for kind in ("polca", "brake-only", "uniform", "power-cap"):
            pol = sim.Policy(kind=kind)
            full = safelevel.safe(sim.run(agg, p_prov, pol, rw.cm, rw.pm).metrics)
            assert safelevel.is_safe(agg, p_prov, pol, rw.cm, rw.pm) == full, (x, kind)
            got.add(full)
    assert got == {True, False}  # both outcomes compared


def test_level_between_whole_servers_is_the_next_server_on_a_raised_budget():
    rw = fine_row()
    agg, p_prov = rw.at(0.26)  # 51 servers (the +27.5 % tranche) on 51 / 50.4 of the budget
    assert agg.servers.sum() == 51 and p_prov == pytest.approx(rw.p_prov_w * 51 / 50.4)
    whole, p_whole = rw.at(0.275)
    assert p_whole == rw.p_prov_w and np.array_equal(whole.pre, agg.pre)
    with pytest.raises(ValueError, match="not generated"):
        rw.at(0.2)  # 48 servers: no such tranche in this row


def test_seeds_in_workers_equal_seeds_in_process():
    s = safelevel.Search(days=0.25, seeds=(0, 1, 2), max_added=16, resolution=0.02)
    pols = {"polca": sim.Policy(kind="polca"), "brake-only": sim.Policy(kind="brake-only")}
    seen = []
    two = safelevel.safe_levels(pols, s, jobs=2, on_seed=lambda sd, dt: seen.append(sd))
    assert two == safelevel.safe_levels(pols, s, jobs=1) and sorted(seen) == [0, 1, 2]


def test_polca_safe_level_above_brake_only_on_one_day():
    s = safelevel.Search(days=1, seeds=(0,), max_added=20)
    pols = {"polca": sim.Policy(kind="polca"), "brake-only": sim.Policy(kind="brake-only")}
    k = safelevel.seed_levels(safelevel.level_row(s, 0), pols, s)
    assert k["polca"] > k["brake-only"] >= 0


# -- CLI: --controller PATH.py:Class, hostile inputs ------------------------------------------
def _cli(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "paperkit.polca", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def _in_process(capsys, *args):
    from paperkit.polca import __main__ as polca_main

    with pytest.raises(SystemExit) as e:
        polca_main.main(list(args))
    got = capsys.readouterr()
    return e.value.code, got.out, got.err


def test_cli_user_controller_runs(tmp_path):
    f = tmp_path / "mine.py"
    f.write_text(USER, encoding="utf-8")
    r = _cli("safe-level", "--controller", f"{f}:HalfLp", "--days", "0.5", "--seeds", "1", "--max-added", "4",
             "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"safe_oversub", "range", "seeds", "resolution", "criterion"} and out["seeds"] == 1
    assert 0 <= out["safe_oversub"] <= 0.1


@pytest.mark.parametrize("spec_src,match", [
    ("../../../../etc/passwd.py:X", "without '..'"),
    ("/nonexistent/abs/ctl.py:X", "no such file"),
    ("{f}:Missing", "defines no class 'Missing'"),
    ("{raises}:HalfLp", "raised RuntimeError: boom"),
    ("{f}:NotOne", "is not a controller"),
    ("{f}", "expected PATH.py:ClassName"),
    ("{f}:rm -rf /", "expected PATH.py:ClassName"),
])
def test_cli_bad_controller_is_one_line_exit_2(tmp_path, capsys, spec_src, match):
    f = tmp_path / "mine.py"
    f.write_text(USER + "\nclass NotOne:\n    pass\n", encoding="utf-8")
    raises = tmp_path / "raises.py"
    raises.write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    spec = spec_src.format(f=f, raises=raises)
    code, out, err = _in_process(capsys, "safe-level", "--controller", spec, "--days", "0.5", "--seeds", "1", "--json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and match in err, err


@pytest.mark.parametrize("args,match", [(["row-stats", "--oversub", "1.5"], "--oversub"),
                                        (["row-stats", "--oversub", "-0.01"], "--oversub"),
                                        (["safe-level", "--resolution", "0"], "--resolution"),
                                        (["safe-level", "--resolution", "nan"], "--resolution"),
                                        (["safe-level", "--resolution", "1e308"], "--resolution"),
                                        (["safe-level", "--jobs", "$(touch x)"], "--jobs"),
                                        (["safe-level", "--jobs", "0"], "--jobs"),
                                        (["row-stats", "--oversub", "nan"], "--oversub"),
                                        (["safe-level", "--policy", "magic"], "invalid choice"),
                                        (["safe-level", "--seeds", "0"], "--seeds")])
def test_cli_bad_numbers_exit_2(capsys, args, match):
    code, _, err = _in_process(capsys, *args, "--json")
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_defaults_are_the_cited_constants():
    """Every timing, threshold and clock default, typed here from its source (the paper's text
    [Q], the authors' note [S], the preprint, or a stated assumption), never read back from the
    code: a one-line change of any of them fails here."""
    p = sim.Policy()
    assert (p.t1, p.t2, p.hyst) == (0.80, 0.89, 0.05)                  # [Q] T1, T2; [S/R] 5 % hysteresis
    assert (p.oob_s, p.brake_s) == (40, 5)                              # [Q] 40 s out of band, brake in 5 s
    assert (p.brake_at, p.brake_mhz, p.fmax_mhz) == (1.0, 288.0, 1410.0)  # [Q] 100 %; [preprint] 288 MHz; A100
    assert (p.lp_t1_mhz, p.lp_t2_mhz, p.hp_t2_mhz) == (1275.0, 1110.0, 1305.0)  # [Q]/[S] caps
    assert (p.tel_s, p.meter_s, p.brake_hold_s) == (2, 10, 60)          # assumptions, said in the notebooks
    assert R.TELEMETRY_METER_S == p.meter_s and safelevel.HP_P50_MAX == 0.01  # [Q] "<1% P50 latency impact"
    assert control.PAPER_POWER_CAPS == (362.5 / 400.0, 325.0 / 400.0)  # [S] 325-400 W of a 400 W A100
    assert p.cap_levels == control.PAPER_POWER_CAPS and control.A100_FMAX_MHZ == 1410.0
    f = 1410.0
    assert p.ctl() == control.Polca() and tuple(control.Polca().stages()) == (
        control.Caps(), control.Caps(1275 / f, 1.0), control.Caps(1110 / f, 1.0), control.Caps(1110 / f, 1305 / f))
    assert tuple(control.Uniform().stages()) == (control.Caps(), control.Caps(1275 / f, 1275 / f),
                                                  control.Caps(1110 / f, 1110 / f))
    assert tuple(control.PowerCap().stages()) == (control.Caps(), control.Caps(0.90625, 0.90625, "power"),
                                                   control.Caps(0.8125, 0.8125, "power"))
    assert sim.Policy(kind="uniform").ctl() == control.Uniform()
    assert sim.Policy(kind="power-cap").ctl() == control.PowerCap()
    assert tuple(control.BrakeOnly().stages()) == (control.Caps(),)
    s = safelevel.Search()
    assert (s.days, s.n0, s.seeds, s.resolution) == (42.0, 40, (0, 1, 2, 3, 4), 0.01)  # six weeks [Q], 40 servers [Q]
