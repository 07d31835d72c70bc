"""One sentence per comparison on the metrics page: does each AI level fail more than human-written changes,
and could the difference be chance? (DESIGN §13: an honest answer, not a bar of three events.)"""

from dataclasses import dataclass

from accountability.analysis.fisher import fisher_exact_p

BASELINE = "none"
COMPARED = ("assisted", "majority", "generated", "unknown")
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Comparison:
    level: str
    sentence: str
    p_value: float | None = None


def _pct(value: float) -> str:
    return f"{round(value * 100)} %"


def _rate(row) -> str:
    return (
        f"{row.ai_level} {_pct(row.failure_rate)} ({round(row.failure_rate_low * 100)}\u2013"
        f"{_pct(row.failure_rate_high)}, {row.failures}/{row.deployments})"
    )


def _p(value: float) -> str:
    return f"{value:.2f}" if value >= 0.01 else f"{value:.1g}"


def failure_rate_comparisons(*, rows: list, minimum: int) -> list[Comparison]:
    """Each AI level against human-written changes ("none"), one sentence each.

    1. Levels with no deployment in the period are left out.
    2. Below the minimum sample on either side the sentence says so and gives the counts, no rate.
    3. Otherwise both rates with their 95 % Wilson intervals, and Fisher's exact test on the 2x2 table
       (failed or not, by level or none): p < 0.05 reads "unlikely to be chance", else "could be chance".
    """
    by_level = {row.ai_level: row for row in rows}
    base = by_level.get(BASELINE)
    comparisons = []
    for level in COMPARED:
        row = by_level.get(level)
        if row is None or row.deployments == 0:
            continue
        if base is None or base.deployments == 0:
            comparisons.append(
                Comparison(
                    level, f"{level}: no human-written (none) deployment in this period to compare with."
                )
            )
            continue
        if not (row.enough_data and base.enough_data):
            comparisons.append(
                Comparison(
                    level,
                    f"{level} ({row.failures}/{row.deployments} failed) vs none ({base.failures}/"
                    f"{base.deployments}): not enough data to compare (at least {minimum} deployments each).",
                )
            )
            continue
        p = fisher_exact_p(
            a=row.failures,
            b=row.deployments - row.failures,
            c=base.failures,
            d=base.deployments - base.failures,
        )
        verdict = (
            "the difference is unlikely to be chance"
            if p < SIGNIFICANCE
            else "the difference could be chance"
        )
        comparisons.append(
            Comparison(level, f"{_rate(row)} vs {_rate(base)}: {verdict} (Fisher's exact p = {_p(p)}).", p)
        )
    return comparisons
