"""Role and tier logic of claimvalues.record (calibration vs check), on a real ClaimsTable built
from a temporary claims file: the roles the file gives are "consistency" (B, C, F...) and "check"
(A, D, E), so a role that comes from the file is told apart from one that record() sets."""
import pytest

from paperkit import claims
from paperkit.coldstarts.analysis import claimvalues as cv

FILE_ROLE = {"A": "check", "B": "consistency", "C": "consistency", "D": "check", "E": "check",
             "F14-diagonal": "consistency", "F11-R1-mean": "consistency",
             "F10-weibull-mean": "consistency", "F7b-flat": "consistency",
             "F4a-lt20": "consistency", "F10-lognormal-sd": "consistency",
             "F15a-median-all": "consistency", "F10-weibull-shape": "consistency",
             "F10c-iat-median-R1": "consistency"}


@pytest.fixture
def table(tmp_path):
    f = tmp_path / "coldstarts.toml"
    f.write_text("".join(
        f'[[claim]]\nid = "{cid}"\ntext = "t"\nunit = ""\nsource = "s"\nreliability = "exact"\n'
        f'value = 1.0\nrole = "{role}"\n' for cid, role in FILE_ROLE.items()))
    return lambda: claims.ClaimsTable("coldstarts", "00_test",
                                      claims=claims.load_claims("coldstarts", f))


def rows(tab) -> list[tuple]:
    return [(r.claim.id, r.reproduced, r.tier, r.role, r.verdict) for r in tab.results.values()]


def test_record_roles_and_tiers(table):
    vals = [cv.Value("A", 1.0, "popular_share"), cv.Value("B", 2.0, None), cv.Value("C", 3.0, cv.FUNCTION_TABLE),
            cv.Value("D", None, None, "no data"), cv.Value("E", float("nan"), "cold_start_median_s")]
    tab = table()
    cv.record(tab, vals, "synthetic", function_tier="public")
    assert rows(tab) == [("A", 1.0, "synthetic", "calibration", "match"),
                         ("B", 2.0, "synthetic", "consistency", "off"),
                         ("C", 3.0, "public", "consistency", "off"),
                         ("D", None, "synthetic", "check", "not checkable"),
                         ("E", None, "synthetic", "check", "not checkable")]
    assert tab.results["D"].note == "no data"
    assert tab.results["E"].note == "no data for this quantity in the trace"
    tab = table()
    cv.record(tab, vals[:3], "public", function_tier="public")
    assert [r[3] for r in rows(tab)] == ["check", "consistency", "consistency"]   # the file's
    # a synthetic function table is itself a calibration input of the generator
    tab = table()
    cv.record(tab, vals[2:3], "synthetic", function_tier="synthetic")
    assert rows(tab)[0][2:4] == ("synthetic", "calibration")


def test_synthetic_invariants_and_calibrated_means(table):
    vals = [cv.Value("F7b-flat", 0.9, None), cv.Value("F4a-lt20", 0.99, None),
            cv.Value("F11-R1-mean", 0.3, None), cv.Value("F10-lognormal-sd", 7.0, None),
            cv.Value("F15a-median-all", 0.7, None),
            # what the platform simulator produces keeps the file's role on the synthetic tier
            cv.Value("F14-diagonal", 0.9, None), cv.Value("F10-weibull-mean", 1.2, None),
            cv.Value("F10-weibull-shape", 0.4, None), cv.Value("F10c-iat-median-R1", 0.1, None)]
    tab = table()
    cv.record(tab, vals, "synthetic")
    assert [r[3] for r in rows(tab)] == ["invariant", "invariant", "calibration", "calibration",
                                         "calibration"] + ["consistency"] * 4
    tab = table()
    cv.record(tab, vals, "public")  # on the real release they are what the file says
    assert [r[3] for r in rows(tab)] == ["consistency"] * len(vals)


def test_calibrated_keys_hold_no_cold_start_outcome():
    keys = cv.calibrated_keys()
    assert {"n_requests", "daily_median", "minute_timer_share", "cold_start_median_s"} <= keys
    assert not keys & {"n_cold_starts", "iat_median_s", "r2_runtime_cs_share",
                       "r2_trigger_cs_share", "r2_config_cs_share", "large_share"}
