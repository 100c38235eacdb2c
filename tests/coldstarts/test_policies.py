"""Keep-alive policies: the built-in windows by hand, causality, a user's policy, --policy-file."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import platform as P
from paperkit.coldstarts import policies as K
from paperkit.coldstarts import replay


def _hist(gaps_s, starts_s=None, trigger=None, n_days=3, short=None) -> K.History:
    g = np.asarray(gaps_s, float)
    s = np.asarray(starts_s if starts_s is not None else np.arange(g.size) * 10.0, float)
    return K.History("R2", "f", trigger, n_days, np.zeros(0, np.int64), np.zeros(0, np.int64),
                     s, g, np.zeros(n_days, np.int64) if short is None else np.asarray(short))


def test_fixed_is_the_platform_default_and_checks_its_value():
    pre, ka = K.Fixed().decide(_hist([])).per_day(3)
    assert list(ka) == [60.0] * 3 and list(pre) == [0.0] * 3
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="keep-alive"):
            K.Fixed(bad)


def test_hybrid_histogram_windows_for_a_five_minute_period():
    # day 0: 100 idle times of 5 min (bin 5); day 1 decides from them
    h = _hist(np.full(100, 300.0), np.linspace(0, 80_000, 100))
    pre, ka = K.HybridHistogram().decide(h).per_day(3)
    assert (pre[0], ka[0]) == (0.0, 60.0)                        # no history yet
    assert pre[1] == pytest.approx(5 * 60 * 0.9)                 # head bin 5, less 10 %
    assert pre[1] + ka[1] == pytest.approx(6 * 60 * 1.1)         # tail bin's upper edge + 10 %


def test_hybrid_histogram_falls_back_when_not_representative():
    # idle times spread evenly over the range: CV of the bin counts 0 < 2
    h = _hist(np.arange(240) * 60.0 + 30.0, np.linspace(0, 80_000, 240))
    pre, ka = K.HybridHistogram().decide(h).per_day(3)
    assert pre[1] == 0.0 and ka[1] == 4 * 3600.0


def test_hybrid_histogram_out_of_range_uses_the_last_idle_time():
    h = _hist(np.full(10, 6 * 3600.0), np.linspace(0, 80_000, 10))
    pre, ka = K.HybridHistogram().decide(h).per_day(3)
    assert pre[1] == pytest.approx(6 * 3600 * 0.85) and ka[1] == pytest.approx(6 * 3600 * 0.3)


def test_hybrid_histogram_is_causal():
    base = _hist(np.full(50, 300.0), np.linspace(0, 80_000, 50), n_days=3)
    more = _hist(np.r_[np.full(50, 300.0), np.full(50, 7000.0)],
                 np.r_[np.linspace(0, 80_000, 50), np.linspace(90_000, 170_000, 50)], n_days=3)
    a, b = K.HybridHistogram().decide(base), K.HybridHistogram().decide(more)
    assert a.per_day(3)[0][:2].tolist() == b.per_day(3)[0][:2].tolist()
    assert a.per_day(3)[1][:2].tolist() == b.per_day(3)[1][:2].tolist()


def test_short_gaps_push_the_head_to_bin_zero():
    h = _hist(np.full(10, 300.0), np.linspace(0, 80_000, 10), short=[1000, 0, 0])
    pre, _ = K.HybridHistogram().decide(h).per_day(3)
    assert pre[1] == 0.0


def test_timer_prewarm_only_for_timers_slower_than_the_keep_alive():
    g = np.full(200, 299.0)
    s = np.linspace(0, 86_000, 200)
    pre, ka = K.TimerPrewarm().decide(_hist(g, s, trigger="TIMER-A")).per_day(3)
    assert pre[0] == 0 and ka[0] == 60.0
    assert pre[1] == pytest.approx(0.9 * 299) and ka[1] == pytest.approx(0.2 * 299)
    pre, ka = K.TimerPrewarm().decide(_hist(g, s, trigger="APIG-S")).per_day(3)
    assert pre.max() == 0 and ka.min() == 60.0
    pre, _ = K.TimerPrewarm().decide(_hist(np.full(200, 30.0), s, trigger="TIMER-A")).per_day(3)
    assert pre.max() == 0                                            # period within the keep-alive
    pre, _ = K.TimerPrewarm().decide(_hist(g, s, trigger=None)).per_day(3)
    assert pre[1] > 0                                               # unknown but regular
    pre, ka = K.TimerPrewarm().decide(_hist(np.full(200, 3600.0), s, "TIMER-A")).per_day(3)
    assert pre[1] == 3600 - 30 and ka[1] == 60                      # window capped at the fallback


def test_decision_rejects_bad_windows():
    for bad in (K.Decision(keep_alive_s=-1), K.Decision(prewarm_s=float("nan")),
                K.Decision(keep_alive_s=np.ones(2))):
        with pytest.raises(ValueError, match="policy"):
            bad.per_day(3)


# ---------------------------------------------------------------------------------------------
# a user's policy, in fewer than 20 lines
USER_POLICY = '''
from paperkit.coldstarts.policies import Decision, History


class TimersShort:
    """Timers keep their pod 10 s, everything else the platform's minute."""

    name = "timers-short"

    def decide(self, history: History) -> Decision:
        return Decision(keep_alive_s=10.0 if history.trigger == "TIMER-A" else 60.0)
'''


def test_a_user_policy_in_under_20_lines_runs(tmp_path, monkeypatch):
    assert len(USER_POLICY.strip().splitlines()) < 20
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text(USER_POLICY)
    pol = K.load_policy_file("mine.py:TimersShort")
    fn = pl.DataFrame({"region": ["R2", "R2"], "funcID": ["t", "a"],
                       "trigger": ["TIMER-A", "APIG-S"], "memory_mb": [128.0, 128.0]})
    # both functions fire once a minute (idle 59.9 s): a pod survives the platform's minute
    f = np.r_[np.zeros(60), np.ones(60)].astype(int)
    cs = replay.make_cells(fn, f, np.r_[np.arange(60), np.arange(60)], np.ones(120),
                           np.full(120, 0.1), 60)
    res = replay.simulate(cs, pol).per_function
    fixed = replay.simulate(cs, K.Fixed()).per_function
    assert res["funcID"].to_list() == ["a", "t"]
    assert res["cold_starts"].to_list()[1] == 60                     # 't': 10 s, every firing cold
    assert fixed["cold_starts"].to_list()[1] == 1
    assert res.row(0, named=True) == fixed.row(0, named=True)        # 'a' unchanged


@pytest.mark.parametrize("spec, match", [
    ("../x.py:P", "without '..'"),
    ("/etc/passwd.py:P", "no such file"),
    ("mine.txt:P", r"\.py file"),
    ("mine.py", "PATH.py:ClassName"),
    ("mine.py:", "PATH.py:ClassName"),
    ("mine.py:not-a-name", "PATH.py:ClassName"),
    ("absent.py:P", "no such file"),
    ("mine.py:Missing", "defines no class"),
    ("raises.py:P", "importing it raised ZeroDivisionError"),
    ("notpolicy.py:P", "not a keep-alive policy"),
    ("badinit.py:P", "build without arguments"),
])
def test_policy_file_hostile_inputs(tmp_path, monkeypatch, spec, match):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text(USER_POLICY)
    (tmp_path / "mine.txt").write_text(USER_POLICY)
    (tmp_path / "raises.py").write_text("1 / 0\n")
    (tmp_path / "notpolicy.py").write_text("class P:\n    pass\n")
    (tmp_path / "badinit.py").write_text("class P:\n    def __init__(self, x):\n        pass\n")
    with pytest.raises(ValueError, match=match):
        K.load_policy_file(spec)


def test_a_policy_returning_garbage_is_named(tmp_path):
    class Bad:
        name = "bad"

        def decide(self, history):
            return 60.0

    fn = pl.DataFrame({"region": ["R1"], "funcID": ["f"], "trigger": pl.Series([None], dtype=pl.String),
                       "memory_mb": [128.0]})
    cs = replay.make_cells(fn, [0], [0], [1], [0.1], 10)
    with pytest.raises(ValueError, match="policy 'bad': decide"):
        P.simulate(replay.plan(cs), Bad())
