"""`key_offset`: the column of a key of one message, not of the line's first such key."""

from __future__ import annotations

import pytest

from reconciler.datasets.locate import key_offset, parse_path

LINE = (
    '{"messages": [{"role": "user", "content": "say \\"role\\": no"}, '
    '{"role": "bot", "content": ""}], "tools": [1, {"role": null}]}'
)


@pytest.mark.parametrize(
    ("where", "found"),
    [
        ("messages[0].role", '"role": "user"'),
        ("messages[1].role", '"role": "bot"'),
        ("messages[1].content", '"content": ""'),
        ("tools[1].role", '"role": null'),
    ],
)
def test_the_key_of_the_object_at_a_path_is_found(where: str, found: str) -> None:
    offset = key_offset(LINE, parse_path(where))
    assert offset is not None and LINE[offset:].startswith(found)


@pytest.mark.parametrize("where", ["messages[2].role", "nope.role", "messages[0].weight"])
def test_a_path_the_line_does_not_hold_gives_none(where: str) -> None:
    assert key_offset(LINE, parse_path(where)) is None


def test_a_line_nested_deeper_than_the_stack_gives_none() -> None:
    deep = '{"messages": [{"content": ' + "[" * 3000 + "]" * 3000 + '}, {"role": "x"}]}'
    assert key_offset(deep, parse_path("messages[1].role")) is None


def test_paths_are_read_from_the_rules_where() -> None:
    assert parse_path("body.messages[2].content[0]") == ("body", "messages", 2, "content", 0)
