"""`show FineTune/<name> --plot FILE.png`: training and validation loss and accuracy by step.

Called by `commands.show`; matplotlib is the optional extra `plot` (`pip install
'reconciler[plot]'`), imported only here, with the Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import ConfigError

MISSING = (
    "--plot needs matplotlib, the optional extra 'plot': pip install 'reconciler[plot]' "
    "(the metrics table above needs nothing)"
)


def plot_metrics(metrics: list[dict[str, float]], out: Path, *, title: str) -> None:
    """Loss (top) and accuracy (bottom) by step, training and validation, written to `out`."""
    if not metrics:
        raise ConfigError(f"nothing to plot for {title}: the job has no result file yet")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(MISSING) from None
    figure, (loss, accuracy) = plt.subplots(2, 1, sharex=True, figsize=(9, 7))
    series = (
        (loss, "train_loss", "training loss", "valid_loss", "validation loss"),
        (
            accuracy,
            "train_accuracy",
            "training accuracy",
            "valid_mean_token_accuracy",
            "validation accuracy",
        ),
    )
    for axes, train_key, train_label, valid_key, valid_label in series:
        for key, label, style in ((train_key, train_label, "-"), (valid_key, valid_label, "o-")):
            points = [(row["step"], row[key]) for row in metrics if key in row]
            if points:
                steps, values = zip(*points, strict=True)
                axes.plot(steps, values, style, label=label, markersize=3, linewidth=1.2)
        axes.grid(alpha=0.3)
        axes.legend()
    loss.set_ylabel("loss")
    accuracy.set_ylabel("accuracy")
    accuracy.set_xlabel("step")
    loss.set_title(title)
    figure.tight_layout()
    try:
        figure.savefig(out, dpi=110)
    except OSError as error:
        raise ConfigError(f"cannot write the plot to {out}: {error.strerror or error}") from None
    finally:
        plt.close(figure)
