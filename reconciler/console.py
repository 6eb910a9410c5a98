"""The apply console: prints apply events as they happen, and the closing summary.

`cli.py apply` hands `ApplyConsole.handle` to `apply.apply_plan` as its event handler; on a
terminal it shows a progress bar per upload. All it prints goes to stdout through rich.
"""

from __future__ import annotations

import sys
from typing import Any

from reconciler.apply import ApplyEvent, ApplyResult
from reconciler.plan import Action, Plan


class ApplyConsole:
    """Prints apply events as they happen; on a terminal, a progress bar per upload."""

    _PAST = {
        "create": "created",
        "update": "updated",
        "replace": "replaced",
        "delete": "deleted",
        "archive": "archived",
        "cancel": "cancelled",
        "forget": "forgotten",
    }
    _STYLES = {
        "succeeded": "green",
        "failed": "bold red",
        "skipped": "yellow",
        "retrying": "yellow",
    }

    def __init__(self, *, color: bool, plan: Plan | None = None) -> None:
        from rich.console import Console

        # what a delete does to each kind ("archive" for a project), as the plan shows it
        self.verbs = {
            change.address: change.delete_verb
            for change in (plan.changes if plan is not None else ())
            if change.action is Action.DELETE
        }
        # `color` is the CLI's choice (--no-color, NO_COLOR, FORCE_COLOR, a terminal); off a
        # terminal rich would otherwise make its own from FORCE_COLOR
        terminal = sys.stdout.isatty()
        self.console = Console(
            highlight=False,
            no_color=not color,
            force_terminal=None if terminal else color,
            soft_wrap=True,
        )
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        if terminal:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()

    def handle(self, event: ApplyEvent) -> None:
        if event.type == "progress":
            self._show_progress(event)
            return
        from rich.text import Text

        self.console.print(Text(self._describe(event), style=self._STYLES.get(event.type, "")))

    def _describe(self, event: ApplyEvent) -> str:
        verb = self.verbs.get(event.address, event.action.value)
        if event.type == "started":
            return f"{event.action.symbol:>3} {event.address}: {verb}…"
        if event.type == "succeeded":
            done = self._PAST.get(verb, verb)
            return f"  ✓ {event.address}: {done}" + (f" ({event.live_id})" if event.live_id else "")
        if event.type == "failed":
            return f"  ✗ {event.address}: {verb} failed: {event.message}"
        if event.type == "skipped":
            return f"  - {event.address}: skipped: {event.message}"
        return f"  ↻ {event.address}: {event.message}"

    def _show_progress(self, event: ApplyEvent) -> None:
        if self.progress is None or not event.total:
            return
        task = self.tasks.get(event.address)
        if task is None:
            task = self.progress.add_task(f"uploading {event.address}", total=event.total)
            self.tasks[event.address] = task
        self.progress.update(task, completed=event.done)

    def stop(self) -> None:
        """End the progress bars (before notes are printed after the changes)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def finish(self, result: ApplyResult, *, blocked: int = 0) -> None:
        """The closing line; `blocked` counts the plan's resources that were never tried."""
        self.stop()
        counts = (
            f"{len(result.succeeded)} succeeded, {len(result.failed)} failed, "
            f"{len(result.skipped)} skipped"
        )
        if blocked:
            counts += f", {blocked} blocked"
        if result.interrupted:
            self.console.print(
                f"Interrupted: {counts}. The requests already sent have finished and nothing "
                "else was started. Run `reconciler apply` again to finish: it finds what this "
                "run made and creates nothing twice.",
                style="bold red",
            )
        elif result.ok and blocked:
            self.console.print(
                f"Apply incomplete: {counts}. The blocked resources (see the plan above) and "
                "what depends on them were not applied: fix them, then run `reconciler apply` "
                "again.",
                style="bold red",
            )
        elif result.ok:
            self.console.print(f"Apply complete: {counts}.", style="bold")
        else:
            self.console.print(
                f"Apply failed: {counts}. Fix what failed above (or wait for the API to "
                "recover), then run `reconciler apply` again: what succeeded is not repeated.",
                style="bold red",
            )
