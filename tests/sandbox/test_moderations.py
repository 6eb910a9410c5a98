"""Moderations endpoint of the sandbox: 13 categories, word-list scoring, inputs and errors.

Through the official SDK (conforming client: every response validated against the OpenAPI
document). The scoring rule under test is the one documented in docs/sandbox/inference.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.moderation import CATEGORIES, FLAG_THRESHOLD, MILD, STRONG, WORD_LIST

ALL_13 = {
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
}
IMAGE_URL = "https://example.com/photo.png"


def scores_of(result: Any) -> dict[str, float]:
    return dict(result.category_scores.model_dump(by_alias=True))


def flags_of(result: Any) -> dict[str, bool]:
    return dict(result.categories.model_dump(by_alias=True))


def strong_entry(category: str) -> str:
    return next(word.rstrip("*") for word, weight in WORD_LIST[category] if weight == STRONG)


def test_harmless_text_gets_tiny_scores_in_all_13_categories(
    conforming_client: openai.OpenAI,
) -> None:
    moderation = conforming_client.moderations.create(
        model="omni-moderation-latest", input="What a lovely afternoon for a picnic."
    )
    assert moderation.model == "omni-moderation-latest"
    assert moderation.id.startswith("modr-")
    (result,) = moderation.results
    assert set(CATEGORIES) == ALL_13
    assert set(scores_of(result)) == ALL_13 == set(flags_of(result))
    applied = result.category_applied_input_types.model_dump(by_alias=True)
    assert set(applied) == ALL_13 and all(v == ["text"] for v in applied.values())
    assert result.flagged is False
    assert all(0 < score < 0.001 for score in scores_of(result).values())


@pytest.mark.parametrize("category", sorted(ALL_13))
def test_a_strong_listed_phrase_flags_its_category(
    conforming_client: openai.OpenAI, category: str
) -> None:
    text = f"Well, {strong_entry(category)}, I said."
    (result,) = conforming_client.moderations.create(input=text).results
    scores, flags = scores_of(result), flags_of(result)
    assert scores[category] >= 0.6 and flags[category] is True
    assert result.flagged is True
    parent = category.split("/")[0]
    assert scores[parent] >= 0.6  # a subcategory hit raises its parent too


def test_mild_words_add_up(conforming_client: openai.OpenAI) -> None:
    one, two = conforming_client.moderations.create(
        input=["you idiot", "you idiot, you moron"]
    ).results
    assert scores_of(one)["harassment"] == pytest.approx(MILD, abs=0.001)
    assert flags_of(one)["harassment"] is False
    assert scores_of(two)["harassment"] == pytest.approx(1 - (1 - MILD) ** 2, abs=0.001)
    assert scores_of(two)["harassment"] >= FLAG_THRESHOLD and two.flagged is True


def test_words_match_whole_words_and_listed_endings(conforming_client: openai.OpenAI) -> None:
    results = conforming_client.moderations.create(
        input=["She murdered the song", "a stable skill", "SHOPLIFTING is bad"]
    ).results
    assert flags_of(results[0])["violence"] is True  # murder* matches murdered
    assert scores_of(results[1])["violence"] < 0.001  # neither stab nor kill*
    assert flags_of(results[2])["illicit"] is True  # case and endings ignored


def test_scores_are_deterministic(conforming_client: openai.OpenAI) -> None:
    text = "An ordinary sentence about gardening."
    first = conforming_client.moderations.create(input=text).results[0]
    second = conforming_client.moderations.create(input=text).results[0]
    other = conforming_client.moderations.create(input=text + "!").results[0]
    assert scores_of(first) == scores_of(second)
    assert scores_of(first) != scores_of(other)


def test_multimodal_parts_give_one_result_with_image_input_types(
    conforming_client: openai.OpenAI,
) -> None:
    moderation = conforming_client.moderations.create(
        model="omni-moderation-latest",
        input=[
            {"type": "text", "text": "There was gore everywhere"},
            {"type": "image_url", "image_url": {"url": IMAGE_URL}},
        ],
    )
    (result,) = moderation.results
    applied = result.category_applied_input_types.model_dump(by_alias=True)
    assert applied["violence/graphic"] == ["text", "image"]
    assert applied["sexual"] == ["text", "image"]
    assert applied["hate"] == ["text"]
    assert flags_of(result)["violence/graphic"] is True


def test_image_only_input_applies_to_image_categories_only(
    conforming_client: openai.OpenAI,
) -> None:
    (result,) = conforming_client.moderations.create(
        input=[{"type": "image_url", "image_url": {"url": IMAGE_URL}}]
    ).results
    applied = result.category_applied_input_types.model_dump(by_alias=True)
    assert applied["violence"] == ["image"] and applied["harassment"] == []
    assert result.flagged is False


def test_text_moderation_model_takes_text_only(conforming_client: openai.OpenAI) -> None:
    moderation = conforming_client.moderations.create(
        model="text-moderation-latest", input="I want to die"
    )
    assert moderation.model == "text-moderation-latest"
    assert flags_of(moderation.results[0])["self-harm/intent"] is True
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.moderations.create(
            model="text-moderation-latest",
            input=[{"type": "image_url", "image_url": {"url": IMAGE_URL}}],
        )
    assert caught.value.body["param"] == "input"  # type: ignore[index]


def test_the_word_list_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sandbox" / "inference.md").read_text()
    for category, entries in WORD_LIST.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{category}` |"))
        assert all(f"`{entry}`" in row for entry, _ in entries), category


def test_each_call_writes_a_free_usage_event(
    sandbox: SandboxHandle, conforming_client: openai.OpenAI
) -> None:
    conforming_client.moderations.create(input=["one two three", "four"])
    (event,) = sandbox.app.state.sandbox.store.list("usage_event")
    assert event["endpoint"] == "moderations"
    assert event["model"] == "omni-moderation-latest"
    assert event["input_tokens"] == 4 and event["output_tokens"] == 0
    assert event["cost_usd"] == 0


BAD_MODERATIONS: list[tuple[dict[str, Any], int, str | None, str | None]] = [
    ({}, 400, "input", "missing_required_parameter"),
    ({"input": "x", "threshold": 0.5}, 400, "threshold", "unknown_parameter"),
    ({"input": 7}, 400, "input", "invalid_type"),
    ({"input": []}, 400, "input", "empty_array"),
    ({"input": [{"type": "audio", "audio": "x"}]}, 400, "input[0].type", "invalid_value"),
    ({"input": [{"type": "image_url", "image_url": {}}]}, 400, "input[0].image_url.url",
     "missing_required_parameter"),
    ({"input": "x", "model": "omni-moderation-9000"}, 404, None, "model_not_found"),
    ({"input": "x", "model": "gpt-4.1-mini-2025-04-14"}, 400, "model", None),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "param", "code"), BAD_MODERATIONS)
def test_bad_moderation_requests_are_rejected(
    conforming_http: httpx2.Client,
    body: dict[str, Any],
    status: int,
    param: str | None,
    code: str | None,
) -> None:
    answer = conforming_http.post("moderations", json=body)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert (error["param"], error["code"]) == (param, code)
