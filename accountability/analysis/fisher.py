"""Fisher's exact test for a 2x2 table: is one group's failure rate different from another's, or chance?

scipy is not a dependency (docs/decisions.md: the lead should consider it, and swap this for
`scipy.stats.fisher_exact`); until then this is the textbook test, in exact integer arithmetic.
"""

from fractions import Fraction
from math import comb


def fisher_exact_p(*, a: int, b: int, c: int, d: int) -> float:
    """The two-sided p-value of the table [[a, b], [c, d]] (rows: groups; columns: failed, did not).

    1. With the margins fixed, the count in the top-left cell follows the hypergeometric law:
       P(x) = C(a+b, x) · C(c+d, a+c-x) / C(n, a+c), for x between max(0, a+c-(c+d)) and min(a+b, a+c).
    2. The two-sided p sums P(x) over every table at most as likely as the observed one
       (the "minimum likelihood" definition R's fisher.test and scipy use).
    Numerators are compared as exact integers, so ties are ties.
    """
    if min(a, b, c, d) < 0:
        raise ValueError("A contingency table holds counts, not negative numbers.")
    row1, row2, col1 = a + b, c + d, a + c
    n = row1 + row2
    if n == 0 or row1 == 0 or row2 == 0 or col1 == 0 or col1 == n:
        return 1.0

    def weight(x: int) -> int:
        return comb(row1, x) * comb(row2, col1 - x)

    observed = weight(a)
    extreme = sum(w for x in range(max(0, col1 - row2), min(row1, col1) + 1) if (w := weight(x)) <= observed)
    return min(1.0, float(Fraction(extreme, comb(n, col1))))
