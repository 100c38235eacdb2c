"""Role and tier logic of claimvalues.record (calibration vs check)."""
from paperkit.coldstarts.analysis import claimvalues as cv


class FakeTab:
    def __init__(self):
        self.rows = []

    def record(self, cid, reproduced, tier, role="check", note=""):
        self.rows.append((cid, reproduced, tier, role))

    def not_checkable(self, cid, tier, reason):
        self.rows.append((cid, None, tier, "n/c"))


def test_record_roles_and_tiers():
    vals = [cv.Value("A", 1.0, "popular_share"), cv.Value("B", 2.0, None), cv.Value("C", 3.0, cv.FUNCTION_TABLE),
            cv.Value("D", None, None, "no data"), cv.Value("E", float("nan"), "cold_start_median_s")]
    tab = FakeTab()
    cv.record(tab, vals, "synthetic", function_tier="public")
    assert tab.rows == [("A", 1.0, "synthetic", "calibration"), ("B", 2.0, "synthetic", "check"),
                        ("C", 3.0, "public", "check"), ("D", None, "synthetic", "n/c"), ("E", None, "synthetic", "n/c")]
    tab = FakeTab()
    cv.record(tab, vals[:3], "public", function_tier="public")
    assert [r[3] for r in tab.rows] == ["check", "check", "check"]
    # a synthetic function table is itself a calibration input of the generator
    tab = FakeTab()
    cv.record(tab, vals[2:3], "synthetic", function_tier="synthetic")
    assert tab.rows[0][3] == "calibration"
