"""A compact text chart of a fine-tuning job's loss by step, for `reconciler show` in a terminal.

Called by `commands.show` when stdout is a terminal (the metrics table stays for logs and
pipes); needs nothing beyond the standard library, unlike `--plot` (`commands.plot`). Steps
are put into `width` columns (each column the mean of its steps); training loss is drawn with
`*`, validation loss with `o` (`@` where both fall on one cell).
"""

from __future__ import annotations

WIDTH = 60
HEIGHT = 10
SERIES = (("train_loss", "*"), ("valid_loss", "o"))


def loss_chart(
    metrics: list[dict[str, float]], width: int = WIDTH, height: int = HEIGHT
) -> list[str]:
    """The chart as lines (indented for `show`); none when no row has a loss."""
    rows = [row for row in metrics if any(key in row for key, _ in SERIES)]
    if not rows:
        return []
    steps = [row.get("step", index + 1) for index, row in enumerate(rows)]
    first, last = min(steps), max(steps)
    used = min(width, len(set(steps)))
    columns = {key: _columns(rows, steps, key, used, (first, last)) for key, _ in SERIES}
    values = [v for found in columns.values() for v in found if v is not None]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    grid = [[" "] * used for _ in range(height)]
    for key, mark in SERIES:
        for x, value in enumerate(columns[key]):
            if value is None:
                continue
            y = round((high - value) / span * (height - 1))
            grid[y][x] = "@" if grid[y][x] not in (" ", mark) else mark
    labels = {0: f"{high:.4f}", height - 1: f"{low:.4f}"}
    pad = max(len(label) for label in labels.values())
    legend = ", ".join(
        f"{mark} {'training' if key == 'train_loss' else 'validation'}"
        for key, mark in SERIES
        if any(v is not None for v in columns[key])
    )
    lines = [f"  loss by step ({legend}):"]
    for y, cells in enumerate(grid):
        axis = "┤" if y in labels else "│"
        lines.append(f"    {labels.get(y, '').rjust(pad)} {axis}{''.join(cells).rstrip()}")
    lines.append(f"    {' ' * pad} └{'─' * used}")
    right = str(int(last))
    lines.append(f"    {' ' * pad}  {str(int(first)).ljust(max(1, used - len(right)))}{right}")
    return lines


def _columns(
    rows: list[dict[str, float]],
    steps: list[float],
    key: str,
    used: int,
    bounds: tuple[float, float],
) -> list[float | None]:
    """The mean of `key` over the steps that fall in each of `used` columns (None: none)."""
    first, last = bounds
    sums = [0.0] * used
    counts = [0] * used
    for row, step in zip(rows, steps, strict=True):
        if key not in row:
            continue
        column = round((step - first) / ((last - first) or 1) * (used - 1))
        sums[column] += row[key]
        counts[column] += 1
    return [total / count if count else None for total, count in zip(sums, counts, strict=True)]
