"""Role and tier logic of claimvalues.record (calibration vs check)."""
from paperkit.coldstarts.analysis import claimvalues as cv


class FakeTab:
    def __init__(self):
        self.rows = []

    def record(self, cid, reproduced, tier, role=None, note=""):
        self.rows.append((cid, reproduced, tier, role or "file"))

    def not_checkable(self, cid, tier, reason):
        self.rows.append((cid, None, tier, "n/c"))


def test_record_roles_and_tiers():
    vals = [cv.Value("A", 1.0, "popular_share"), cv.Value("B", 2.0, None), cv.Value("C", 3.0, cv.FUNCTION_TABLE),
            cv.Value("D", None, None, "no data"), cv.Value("E", float("nan"), "cold_start_median_s")]
    tab = FakeTab()
    cv.record(tab, vals, "synthetic", function_tier="public")
    # "file": the role comes from the claims file (check, consistency, ...)
    assert tab.rows == [("A", 1.0, "synthetic", "calibration"), ("B", 2.0, "synthetic", "file"),
                        ("C", 3.0, "public", "file"), ("D", None, "synthetic", "n/c"), ("E", None, "synthetic", "n/c")]
    tab = FakeTab()
    cv.record(tab, vals[:3], "public", function_tier="public")
    assert [r[3] for r in tab.rows] == ["file", "file", "file"]
    # a synthetic function table is itself a calibration input of the generator
    tab = FakeTab()
    cv.record(tab, vals[2:3], "synthetic", function_tier="synthetic")
    assert tab.rows[0][3] == "calibration"


def test_synthetic_invariants_and_calibrated_means():
    vals = [cv.Value("F7b-flat", 0.9, None), cv.Value("F4a-lt20", 0.99, None),
            cv.Value("F11-R1-mean", 0.3, None), cv.Value("F10-lognormal-sd", 7.0, None),
            cv.Value("F15a-median-all", 0.7, None),
            # what the platform simulator produces stays a check on the synthetic tier
            cv.Value("F14-diagonal", 0.9, None), cv.Value("F10-weibull-mean", 1.2, None),
            cv.Value("F10-weibull-shape", 0.4, None), cv.Value("F10c-iat-median-R1", 0.1, None)]
    tab = FakeTab()
    cv.record(tab, vals, "synthetic")
    assert [r[3] for r in tab.rows] == ["invariant", "invariant", "calibration", "calibration",
                                        "calibration", "file", "file", "file", "file"]
    tab = FakeTab()
    cv.record(tab, vals, "public")  # on the real release they are independent checks
    assert [r[3] for r in tab.rows] == ["file"] * len(vals)


def test_calibrated_keys_hold_no_cold_start_outcome():
    keys = cv.calibrated_keys()
    assert {"n_requests", "daily_median", "minute_timer_share", "cold_start_median_s"} <= keys
    assert not keys & {"n_cold_starts", "iat_median_s", "r2_runtime_cs_share",
                       "r2_trigger_cs_share", "r2_config_cs_share", "large_share"}
