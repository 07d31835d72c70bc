"""Geometry for the server-rendered SVG charts: pure functions from stored results to coordinates.

Templates draw what these return; no number is computed in a template and no script is needed.
"""

from dataclasses import dataclass, field

NODE_WIDTH = 170
NODE_HEIGHT = 24
COLUMN_GAP = 60
ROW_GAP = 8
MAX_PER_COLUMN = 12


@dataclass
class Node:
    slug: str
    name: str
    tier: int | None
    depth: int
    x: int
    y: int
    known: bool
    changed: bool = False

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= 22 else self.name[:21] + "…"


@dataclass
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class GraphLayout:
    width: int
    height: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    hidden: int = 0


def blast_radius_layout(*, impacted: list[dict], changed_slug: str) -> GraphLayout:
    """Lay the impacted services out in columns by depth: the changed service left, its dependents right.

    1. Group the impacted services by depth (depth 0 is the changed service itself), nearest first.
    2. Keep at most MAX_PER_COLUMN per column, counting the rest as hidden (the list shows them all).
    3. Place each kept node; draw an edge from the previous service of its shortest path, when kept.
    """
    columns: dict[int, list[dict]] = {}
    for item in impacted:
        columns.setdefault(int(item.get("depth", 0)), []).append(item)
    if not any(item.get("slug") == changed_slug for item in impacted):
        columns.setdefault(0, []).insert(0, {"slug": changed_slug, "name": changed_slug, "depth": 0})
    hidden = 0
    positions: dict[str, Node] = {}
    for depth in sorted(columns):
        items = columns[depth]
        hidden += max(0, len(items) - MAX_PER_COLUMN)
        for row, item in enumerate(items[:MAX_PER_COLUMN]):
            slug = item.get("slug", "")
            positions[slug] = Node(
                slug=slug,
                name=item.get("name", slug),
                tier=item.get("tier"),
                depth=depth,
                x=10 + depth * (NODE_WIDTH + COLUMN_GAP),
                y=10 + row * (NODE_HEIGHT + ROW_GAP),
                known=item.get("dependencies_known", True),
                changed=slug == changed_slug,
            )
    edges = []
    for item in impacted:
        path = item.get("path") or []
        if len(path) >= 2 and path[-1] in positions and path[-2] in positions:
            source, target = positions[path[-2]], positions[path[-1]]
            edges.append(
                Edge(
                    x1=source.x + NODE_WIDTH,
                    y1=source.y + NODE_HEIGHT // 2,
                    x2=target.x,
                    y2=target.y + NODE_HEIGHT // 2,
                )
            )
    rows = max((min(len(items), MAX_PER_COLUMN) for items in columns.values()), default=1)
    width = 20 + max(columns, default=0) * (NODE_WIDTH + COLUMN_GAP) + NODE_WIDTH
    height = 20 + rows * (NODE_HEIGHT + ROW_GAP)
    return GraphLayout(width=width, height=height, nodes=list(positions.values()), edges=edges, hidden=hidden)


@dataclass
class RateBar:
    label: str
    deployments: int
    failures: int
    enough_data: bool
    rate: float | None
    low: float | None
    high: float | None
    y: int
    bar_width: int = 0
    whisker_x1: int = 0
    whisker_x2: int = 0


@dataclass
class RateChart:
    width: int
    height: int
    plot_x: int
    plot_width: int
    scale_max: float
    bars: list[RateBar]
    ticks: list[tuple[int, str]]


def failure_rate_chart(*, rows: list[dict], plot_width: int = 420) -> RateChart:
    """Horizontal bars of change failure rate per AI level with their 95 % Wilson interval as whiskers.

    `rows` are dicts with label, deployments, failures, enough_data, rate, low, high. Rows without
    enough data get no bar: the template says "not enough data" and shows the counts.
    """
    plot_x, bar_height = 110, 22
    highs = [row["high"] for row in rows if row.get("enough_data") and row.get("high") is not None]
    scale_max = min(1.0, max([0.1, *highs]))
    # Round the scale up to a tidy tenth so the ticks read as plain percentages.
    scale_max = min(1.0, (int(scale_max * 10) + 1) / 10) if scale_max < 1.0 else 1.0

    def x(value: float) -> int:
        return round(plot_width * min(value, scale_max) / scale_max)

    bars = []
    for index, row in enumerate(rows):
        bar = RateBar(
            label=row["label"],
            deployments=row["deployments"],
            failures=row["failures"],
            enough_data=bool(row.get("enough_data")) and row.get("rate") is not None,
            rate=row.get("rate"),
            low=row.get("low"),
            high=row.get("high"),
            y=10 + index * (bar_height + 12),
        )
        if bar.enough_data:
            bar.bar_width = max(1, x(bar.rate))
            bar.whisker_x1 = x(bar.low or 0.0)
            bar.whisker_x2 = x(bar.high if bar.high is not None else bar.rate)
        bars.append(bar)
    ticks = [(x(scale_max * step / 4), f"{scale_max * step / 4:.0%}") for step in range(5)]
    height = 30 + len(rows) * (bar_height + 12)
    return RateChart(
        width=plot_x + plot_width + 230,
        height=height,
        plot_x=plot_x,
        plot_width=plot_width,
        scale_max=scale_max,
        bars=bars,
        ticks=ticks,
    )


TREND_WIDTH = 440
TREND_PLOT_X = 44
TREND_PLOT_TOP = 10
TREND_PLOT_HEIGHT = 140


@dataclass
class TrendBar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: int


@dataclass
class TrendLine:
    level: str
    # Runs of consecutive weeks with a rate: each run is drawn as one polyline ("x,y x,y …").
    runs: list[str]
    points: list[tuple[int, int, str]]  # x, y, "week: rate (failures/deployments)"


@dataclass
class TrendChart:
    width: int
    height: int
    plot_x: int
    plot_bottom: int
    ticks: list[tuple[int, str]]  # y, label
    week_labels: list[tuple[int, str]]  # x, label
    bars: list[TrendBar] = field(default_factory=list)
    lines: list[TrendLine] = field(default_factory=list)


def _week_axis(weeks: list) -> tuple[float, list[tuple[int, str]]]:
    step = (TREND_WIDTH - TREND_PLOT_X - 10) / max(len(weeks), 1)
    # Every other week is labelled, so twelve labels fit a phone's width.
    labels = [
        (round(TREND_PLOT_X + step * (index + 0.5)), week.start.strftime("%d %b"))
        for index, week in enumerate(weeks)
        if (len(weeks) - 1 - index) % 2 == 0
    ]
    return step, labels


def deploys_per_week_chart(*, weeks: list) -> TrendChart:
    """Vertical bars of production deployments per week, with a scale rounded up to a tidy number."""
    step, labels = _week_axis(weeks)
    top = max([week.deployments for week in weeks] + [1])
    tidy = next(n for n in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10**9) if n >= top)
    bottom = TREND_PLOT_TOP + TREND_PLOT_HEIGHT
    bars = []
    for index, week in enumerate(weeks):
        height = round(TREND_PLOT_HEIGHT * week.deployments / tidy)
        bars.append(
            TrendBar(
                x=round(TREND_PLOT_X + step * index + step * 0.15),
                y=bottom - height,
                width=max(1, round(step * 0.7)),
                height=height,
                label=week.start.strftime("%Y-%m-%d"),
                value=week.deployments,
            )
        )
    return _trend_chart(labels=labels, tick_label=lambda part: f"{round(tidy * part)}", bars=bars)


def failure_rate_trend_chart(*, weeks: list, levels: tuple[str, ...]) -> TrendChart:
    """One line per AI level of its weekly change failure rate; weeks without a rate break the line."""
    step, labels = _week_axis(weeks)
    rates = [lw.rate for week in weeks for lw in week.levels.values() if lw.rate is not None]
    scale = min(1.0, (int(max([*rates, 0.05]) * 10) + 1) / 10)
    bottom = TREND_PLOT_TOP + TREND_PLOT_HEIGHT
    lines = []
    for level in levels:
        runs, run, points = [], [], []
        for index, week in enumerate(weeks):
            cell = week.levels.get(level)
            if cell is None or cell.rate is None:
                if run:
                    runs.append(" ".join(run))
                run = []
                continue
            x = round(TREND_PLOT_X + step * (index + 0.5))
            y = bottom - round(TREND_PLOT_HEIGHT * min(cell.rate, scale) / scale)
            run.append(f"{x},{y}")
            counts = f"{cell.failures}/{cell.deployments}"
            title = f"{level}, week of {week.start:%Y-%m-%d}: {cell.rate:.0%} ({counts})"
            points.append((x, y, title))
        if run:
            runs.append(" ".join(run))
        if points:
            lines.append(TrendLine(level=level, runs=runs, points=points))
    return _trend_chart(labels=labels, tick_label=lambda part: f"{scale * part:.0%}", lines=lines)


def _trend_chart(*, labels: list[tuple[int, str]], tick_label, **drawn) -> TrendChart:
    """The frame both trend charts share: five horizontal ticks (0, ¼ … 1 of the scale) and week labels."""
    bottom = TREND_PLOT_TOP + TREND_PLOT_HEIGHT
    ticks = [(bottom - round(TREND_PLOT_HEIGHT * step / 4), tick_label(step / 4)) for step in range(5)]
    return TrendChart(
        width=TREND_WIDTH,
        height=bottom + 24,
        plot_x=TREND_PLOT_X,
        plot_bottom=bottom,
        ticks=ticks,
        week_labels=labels,
        **drawn,
    )
