"""The text chart of the loss that `reconciler show FineTune/x` prints in a terminal."""

from __future__ import annotations

from reconciler.commands.chart import loss_chart


def test_falling_loss_goes_from_the_top_left_to_the_bottom_right() -> None:
    metrics = [{"step": s, "train_loss": 10.0 - s} for s in range(1, 11)]
    lines = loss_chart(metrics, width=10, height=10)
    assert lines[0] == "  loss by step (* training):"
    assert lines[1] == "    9.0000 ┤*"
    assert lines[2] == "           │ *"
    assert lines[10] == "    0.0000 ┤         *"
    assert lines[11] == "           └──────────"
    assert lines[12] == "            1       10"


def test_many_steps_are_averaged_into_the_width_and_validation_is_placed_by_step() -> None:
    metrics = [{"step": s, "train_loss": 1.0} for s in range(1, 201)]
    metrics[199]["valid_loss"] = 0.0  # only the last step has a validation loss
    lines = loss_chart(metrics, width=20, height=3)
    assert lines[0] == "  loss by step (* training, o validation):"
    assert lines[1].endswith("┤" + "*" * 20)
    assert lines[3].endswith("┤" + " " * 19 + "o")
    assert lines[4].endswith("└" + "─" * 20)


def test_no_loss_no_chart() -> None:
    assert loss_chart([]) == []
    assert loss_chart([{"step": 1, "train_accuracy": 0.5}]) == []
