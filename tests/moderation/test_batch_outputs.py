"""`moderate_outputs`: a batch's response texts, packed many per request, cached by content,
thresholds applied after the cache; only flagged custom_ids come back, never text."""

from __future__ import annotations

import math
from pathlib import Path

from reconciler.moderation import MAX_INPUTS
from reconciler.moderation.batches import moderate_outputs, response_texts

from .test_run import FakeModerations


def _response(text: str) -> dict[str, object]:
    return {"output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}]}


def test_outputs_packed_cached_and_flagged_by_threshold(tmp_path: Path) -> None:
    bodies = [(f"r{i}", _response(f"answer number {i}")) for i in range(150)]
    bodies[7] = ("r7", _response("they murdered him"))
    api = FakeModerations()

    flagged, sent = moderate_outputs(
        bodies, model="omni-moderation-latest", thresholds={}, classify=api, cache_dir=tmp_path
    )

    assert sent == len(api.requests) == math.ceil(150 / MAX_INPUTS)
    assert list(flagged) == ["r7"] and "violence" in flagged["r7"]
    again, sent_again = moderate_outputs(
        bodies,
        model="omni-moderation-latest",
        thresholds={"violence": 0.9},
        classify=api,
        cache_dir=tmp_path,
    )
    assert sent_again == 0 and again == {}  # cached scores, a higher threshold


def test_response_texts_of_each_endpoint() -> None:
    assert response_texts(_response("hi")) == ["hi"]
    assert response_texts({"choices": [{"message": {"content": "chat"}}]}) == ["chat"]
    assert response_texts({"choices": [{"text": "completion"}]}) == ["completion"]
    assert response_texts({"data": [{"embedding": [0.1]}]}) == []
