"""Fisher's exact test against published values (R's fisher.test / scipy.stats.fisher_exact)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountability.analysis.fisher import fisher_exact_p


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # Fisher's lady tasting tea: 3 of 4 cups right.
        ((3, 1, 1, 3), 0.4857142857142857),
        # scipy's documentation example (whales and sharks, Atlantic and Indian ocean).
        ((8, 2, 1, 5), 0.03496503496503495),
        # Wikipedia's example (studying men and women: 1/9 vs 11/3).
        ((1, 9, 11, 3), 0.002759456185220083),
        # A zero cell, by hand: 2 · C(10,5) / C(20,5).
        ((0, 10, 5, 5), 0.03250773993808047),
        ((10, 10, 10, 10), 1.0),
    ],
)
def test_it_matches_published_p_values(table, expected):
    a, b, c, d = table
    assert fisher_exact_p(a=a, b=b, c=c, d=d) == pytest.approx(expected, rel=1e-9)


def test_an_empty_row_or_column_says_nothing():
    assert fisher_exact_p(a=0, b=0, c=3, d=4) == 1.0
    assert fisher_exact_p(a=0, b=5, c=0, d=4) == 1.0


def test_it_refuses_negative_counts():
    with pytest.raises(ValueError):
        fisher_exact_p(a=-1, b=2, c=3, d=4)


counts = st.integers(min_value=0, max_value=40)


@given(counts, counts, counts, counts)
def test_it_is_a_probability_and_symmetric_in_rows_and_columns(a, b, c, d):
    p = fisher_exact_p(a=a, b=b, c=c, d=d)
    assert 0.0 < p <= 1.0
    assert fisher_exact_p(a=c, b=d, c=a, d=b) == pytest.approx(p, rel=1e-9)
    assert fisher_exact_p(a=a, b=c, c=b, d=d) == pytest.approx(p, rel=1e-9)
