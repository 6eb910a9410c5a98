"""A Promotion's winner record: one `user_data` file whose name says which run won.

`kinds/promotion.py` compares the decision of a plan with the record (a new winner is an
update); the provider writes it (`filename`) and the EvalRun reader parses it back from the
file listing it makes anyway (`parse_filename`), so the previous winner stays the output of a
Promotion whose candidates all fail their gates, on any machine:

    reconciler--<stack>--Promotion--<name>--winner.<run name>--<run digest16>--<model>.json
    reconciler--demo--Promotion--triage-model--winner.ft--3f9a0c12d4e5f6a7--ft:gpt~4.1~mini:acme::x1.json

In `<model>` every `-` is written `~` (model ids have no `~`), so `--` stays a separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "winner."


@dataclass(frozen=True)
class Winner:
    promotion: str
    run: str
    digest: str
    model: str

    @property
    def run_address(self) -> str:
        return f"EvalRun/{self.run}"


def filename(stack: str, winner: Winner) -> str:
    model = winner.model.replace("-", "~")
    parts = f"{winner.promotion}--{PREFIX}{winner.run}--{winner.digest}--{model}"
    return f"reconciler--{stack}--Promotion--{parts}.json"


def parse_filename(stack: str, text: str) -> Winner | None:
    match = re.match(
        rf"^reconciler--{re.escape(stack)}--Promotion--(?P<name>(?:(?!--).)+)--"
        rf"{re.escape(PREFIX)}(?P<run>(?:(?!--).)+)--(?P<digest>[0-9a-f]{{16}})--"
        r"(?P<model>[^-/]+)\.json$",
        text,
    )
    if match is None:
        return None
    model = match["model"].replace("~", "-")
    return Winner(match["name"], match["run"], match["digest"], model)
