"""MLE fits recover known parameters of numpy samples."""

import numpy as np
import pytest
from scipy import stats

from paperkit.coldstarts import fit


@pytest.mark.parametrize("mu,sigma", [(0.2965, 1.326), (-3.0, 0.3), (2.0, 2.5)])
def test_lognormal_recovers(mu, sigma):
    x = np.random.default_rng(0).lognormal(mu, sigma, 50_000)
    m, s = fit.fit_lognormal(x)
    assert abs(m - mu) < 4 * sigma / np.sqrt(x.size)
    assert s == pytest.approx(sigma, rel=0.02)


@pytest.mark.parametrize("k,lam", [(0.4176, 0.4217), (1.0, 5.0), (2.5, 1e-3)])
def test_weibull_recovers(k, lam):
    x = lam * np.random.default_rng(1).weibull(k, 50_000)
    shape, scale = fit.fit_weibull(x)
    assert shape == pytest.approx(k, rel=0.02)
    assert scale == pytest.approx(lam, rel=0.03)


def test_weibull_matches_scipy_mle():
    x = 2.0 * np.random.default_rng(2).weibull(0.7, 3_000)
    c, _, scale = stats.weibull_min.fit(x, floc=0)
    shape, lam = fit.fit_weibull(x)
    assert shape == pytest.approx(c, rel=1e-3)
    assert lam == pytest.approx(scale, rel=1e-3)


def test_fits_drop_zeros_and_nonfinite():
    x = np.array([0.0, np.nan, np.inf, 1.0, 2.0, 4.0])
    assert fit.fit_lognormal(x) == pytest.approx(fit.fit_lognormal([1.0, 2.0, 4.0]))


@pytest.mark.parametrize("f", [fit.fit_lognormal, fit.fit_weibull])
def test_too_few_values_is_an_error(f):
    with pytest.raises(ValueError, match="at least 2"):
        f([0.0, 3.0])


def test_paper_fit_moments():
    # the spec's reading of "mean 3.24 and standard deviation 7.10" (coldstarts.md Fig. 10)
    m, sd = fit.lognormal_mean_sd(0.2965, 1.326)
    assert m == pytest.approx(3.24, rel=0.01) and sd == pytest.approx(7.10, rel=0.01)
    assert fit.weibull_mean(0.4176, 0.4217) == pytest.approx(1.25, rel=0.01)
    assert fit.weibull_median(0.4176, 0.4217) == pytest.approx(0.175, rel=0.01)
