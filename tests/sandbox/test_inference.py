"""Inference endpoints of the sandbox (responses, chat completions, embeddings) through the SDK.

Every call goes over HTTP through the official SDK with the conforming client (each response is
validated against the OpenAPI document). Token figures are checked against tiktoken directly,
with the cookbook's chat overhead (3 per message, 3 to prime the reply).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx2
import jsonschema
import openai
import pytest
from openapi_check import ResponseChecker
from sandbox_control import key_of_project

from reconciler.datasets.tokens import load_encoding
from reconciler.sandbox import SandboxHandle, inference
from reconciler.sandbox.pricing import cost_usd

MODEL = "gpt-4.1-mini-2025-04-14"
OTHER_PROJECT = "proj_inferenceother00000000"
FT_MODEL = "ft:gpt-4.1-mini-2025-04-14:org-sandbox:support:abc123"
TRAINING = [
    ("How do I reset my password?", "Open Settings > Security and choose Reset password."),
    ("Where can I download my invoices?", "Invoices are under Billing > History as PDF files."),
    ("Can I change the email on my account?", "Yes: Settings > Profile > Email, then confirm."),
]


def o200k(text: str) -> int:
    return len(load_encoding("o200k_base").encode_ordinary(text))


def chat_prompt_tokens(*messages: tuple[str, str]) -> int:
    """The cookbook count: 3 + role + content per message, plus 3 to prime the reply."""
    return sum(3 + o200k(role) + o200k(text) for role, text in messages) + 3


def advance(sandbox: SandboxHandle, seconds: float) -> None:
    httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": seconds})


def store_of(sandbox: SandboxHandle) -> Any:
    return sandbox.app.state.sandbox.store


@pytest.fixture
def other_client(sandbox: SandboxHandle) -> Iterator[openai.OpenAI]:
    """A client of a second project, with that project's own key."""
    project = {
        "object": "organization.project",
        "id": OTHER_PROJECT,
        "name": "Other",
        "created_at": 0,
        "archived_at": None,
        "status": "active",
    }
    store_of(sandbox).put("project", project)
    with openai.OpenAI(
        api_key=key_of_project(sandbox, OTHER_PROJECT),
        base_url=sandbox.base_url,
        max_retries=0,
    ) as client:
        yield client


@pytest.fixture
def fine_tuned(sandbox: SandboxHandle) -> str:
    """A fine-tuned model of the default project, its records written straight into the store."""
    sandbox_state = sandbox.app.state.sandbox
    store, project = sandbox_state.store, sandbox_state.default_project_id
    lines = [
        json.dumps(
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        )
        for q, a in TRAINING
    ]
    data = ("\n".join(lines) + "\n").encode()
    file_obj = {
        "object": "file",
        "id": "file-trainingset0000000000",
        "bytes": len(data),
        "created_at": 0,
        "filename": "train.jsonl",
        "purpose": "fine-tune",
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
    store.put("file", file_obj, scope=project)
    store.put_blob(file_obj["id"], data)
    model = {"id": FT_MODEL, "object": "model", "created": 0, "owned_by": "org-sandbox"}
    store.put("model", {**model, "shutdown_date": None}, scope=project)
    source = {
        "id": FT_MODEL,
        "base_model": MODEL,
        "training_file": file_obj["id"],
        "project_id": project,
        "job_id": "ftjob-test",
    }
    store.put("ft_model_source", source, scope=project)
    return FT_MODEL


# -- responses ---------------------------------------------------------------------------------


def test_response_is_deterministic_and_echoes_the_question(
    conforming_client: openai.OpenAI,
) -> None:
    first = conforming_client.responses.create(model=MODEL, input="How do I bake sourdough bread?")
    again = conforming_client.responses.create(model=MODEL, input="How do I bake sourdough bread?")
    other = conforming_client.responses.create(model=MODEL, input="What is the capital of France?")
    assert first.output_text == again.output_text
    assert "sourdough" in first.output_text
    assert other.output_text != first.output_text
    assert first.id != again.id and first.id.startswith("resp_")
    assert first.status == "completed" and first.output[0].type == "message"


@pytest.mark.parametrize(
    "alias", ["gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini"]
)
def test_aliases_answer_and_echo_the_model_as_given(
    conforming_client: openai.OpenAI, alias: str
) -> None:
    question = "How do I bake sourdough bread?"
    response = conforming_client.responses.create(model=alias, input=question)
    chat = conforming_client.chat.completions.create(
        model=alias, messages=[{"role": "user", "content": question}]
    )
    assert (response.model, chat.model) == (alias, alias)
    assert "sourdough" in response.output_text


def test_ada_002_embeds_with_its_native_dimensions(conforming_client: openai.OpenAI) -> None:
    embedded = conforming_client.embeddings.create(
        model="text-embedding-ada-002", input="hello", encoding_format="float"
    )
    assert embedded.model == "text-embedding-ada-002"
    assert len(embedded.data[0].embedding) == 1536


def test_response_usage_counts_tokens_with_tiktoken(conforming_client: openai.OpenAI) -> None:
    question, instructions = "Summarise the plot of Hamlet.", "Answer in one sentence."
    response = conforming_client.responses.create(
        model=MODEL, input=question, instructions=instructions
    )
    usage = response.usage
    assert usage is not None
    expected = chat_prompt_tokens(("system", instructions), ("user", question))
    assert usage.input_tokens == expected
    assert usage.output_tokens == o200k(response.output_text)
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0


def test_message_list_input_and_metadata_round_trip(conforming_client: openai.OpenAI) -> None:
    response = conforming_client.responses.create(
        model=MODEL,
        input=[
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": [{"type": "input_text", "text": "Explain photosynthesis"}]},
        ],
        metadata={"team": "support"},
        temperature=0.2,
    )
    assert "photosynthesis" in response.output_text.lower()
    assert response.metadata == {"team": "support"}
    assert response.temperature == 0.2
    assert response.usage is not None
    expected = chat_prompt_tokens(("developer", "Be terse."), ("user", "Explain photosynthesis"))
    assert response.usage.input_tokens == expected


def test_stored_response_can_be_read_listed_and_deleted(conforming_client: openai.OpenAI) -> None:
    created = conforming_client.responses.create(model=MODEL, input="Name three rivers.")
    fetched = conforming_client.responses.retrieve(created.id)
    assert fetched.output_text == created.output_text
    items = conforming_client.responses.input_items.list(created.id)
    assert [item.type for item in items.data] == ["message"]
    assert items.data[0].content[0].text == "Name three rivers."  # type: ignore[union-attr]
    conforming_client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError) as caught:
        conforming_client.responses.retrieve(created.id)
    assert f"Response with id '{created.id}' not found." in str(caught.value)


def test_store_false_keeps_nothing(conforming_client: openai.OpenAI) -> None:
    created = conforming_client.responses.create(model=MODEL, input="Hello", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        conforming_client.responses.retrieve(created.id)


def test_previous_response_id_carries_the_conversation(conforming_client: openai.OpenAI) -> None:
    first = conforming_client.responses.create(model=MODEL, input="Tell me about volcanoes.")
    follow = conforming_client.responses.create(
        model=MODEL, input="And glaciers?", previous_response_id=first.id
    )
    assert follow.previous_response_id == first.id
    assert follow.usage is not None and first.usage is not None
    assert follow.usage.input_tokens > first.usage.input_tokens + o200k(first.output_text)
    items = conforming_client.responses.input_items.list(follow.id).data
    assert [i.content[0].text for i in items] == ["And glaciers?"]  # type: ignore[union-attr]
    with pytest.raises(openai.NotFoundError) as caught:
        conforming_client.responses.create(
            model=MODEL, input="x", previous_response_id="resp_missing"
        )
    assert caught.value.body["param"] == "previous_response_id"  # type: ignore[index]


def test_responses_are_scoped_to_their_project(
    conforming_client: openai.OpenAI, other_client: openai.OpenAI
) -> None:
    created = conforming_client.responses.create(model=MODEL, input="Private question")
    with pytest.raises(openai.NotFoundError):
        other_client.responses.retrieve(created.id)


def test_max_output_tokens_cuts_the_answer(conforming_client: openai.OpenAI) -> None:
    response = conforming_client.responses.create(
        model=MODEL,
        input="Describe the water cycle in detail, with evaporation and condensation.",
        max_output_tokens=16,
    )
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None and response.usage.output_tokens == 16


def test_json_schema_format_yields_matching_json(conforming_client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
            "severity": {"type": "string", "enum": ["low", "high"]},
        },
        "required": ["answer", "confidence", "tags", "severity"],
        "additionalProperties": False,
    }
    response = conforming_client.responses.create(
        model=MODEL,
        input="Classify this ticket: printer on fire",
        text={
            "format": {"type": "json_schema", "name": "ticket", "schema": schema, "strict": True}
        },
    )
    value = json.loads(response.output_text)
    jsonschema.validate(value, schema)


def test_forced_function_call_has_schema_arguments(conforming_client: openai.OpenAI) -> None:
    parameters = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "maximum": 7}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    response = conforming_client.responses.create(
        model=MODEL,
        input="What is the weather in Paris?",
        tools=[
            {"type": "function", "name": "get_weather", "parameters": parameters, "strict": True}
        ],
        tool_choice="required",
    )
    call = response.output[0]
    assert call.type == "function_call"
    assert call.name == "get_weather"
    jsonschema.validate(json.loads(call.arguments), parameters)


def test_streamed_response_replays_the_event_sequence(conforming_client: openai.OpenAI) -> None:
    events = list(conforming_client.responses.create(model=MODEL, input="Hi there", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response  # type: ignore[union-attr]
    assert deltas == final.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))


# -- chat completions --------------------------------------------------------------------------


def test_chat_completion_usage_and_determinism(conforming_client: openai.OpenAI) -> None:
    messages: list[Any] = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What is the boiling point of water?"},
    ]
    first = conforming_client.chat.completions.create(model=MODEL, messages=messages)
    again = conforming_client.chat.completions.create(model=MODEL, messages=messages)
    content = first.choices[0].message.content
    assert content == again.choices[0].message.content
    assert first.choices[0].finish_reason == "stop"
    assert first.usage is not None
    expected = chat_prompt_tokens(
        ("system", "You are helpful."), ("user", "What is the boiling point of water?")
    )
    assert first.usage.prompt_tokens == expected
    assert first.usage.completion_tokens == o200k(content or "")
    assert first.usage.prompt_tokens_details is not None
    assert first.usage.prompt_tokens_details.cached_tokens == 0


def test_n_choices_vary_unless_temperature_is_zero(conforming_client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Suggest a name for a cat bakery."}]
    greedy = conforming_client.chat.completions.create(
        model=MODEL, messages=messages, n=3, temperature=0
    )
    sampled = conforming_client.chat.completions.create(model=MODEL, messages=messages, n=4)
    assert len({c.message.content for c in greedy.choices}) == 1
    assert len({c.message.content for c in sampled.choices}) > 1
    assert sampled.usage is not None
    total = sum(o200k(c.message.content or "") for c in sampled.choices)
    assert sampled.usage.completion_tokens == total


def test_chat_length_stop_and_logprobs(conforming_client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Explain gravity to a child, please."}]
    cut = conforming_client.chat.completions.create(
        model=MODEL, messages=messages, max_completion_tokens=5, logprobs=True, top_logprobs=2
    )
    choice = cut.choices[0]
    assert choice.finish_reason == "length"
    assert choice.logprobs is not None and choice.logprobs.content is not None
    assert len(choice.logprobs.content) == 5
    assert all(len(entry.top_logprobs) == 2 for entry in choice.logprobs.content)
    full = conforming_client.chat.completions.create(model=MODEL, messages=messages)
    word = (full.choices[0].message.content or "").split()[2]
    stopped = conforming_client.chat.completions.create(model=MODEL, messages=messages, stop=[word])
    assert word not in (stopped.choices[0].message.content or "")


def test_chat_tool_call_and_tool_result(conforming_client: openai.OpenAI) -> None:
    tools: list[Any] = [
        {
            "type": "function",
            "function": {
                "name": "lookup_order",
                "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
            },
        }
    ]
    messages: list[Any] = [{"role": "user", "content": "Please lookup order 42"}]
    called = conforming_client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
    choice = called.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    tool_call = choice.message.tool_calls[0]
    answered = conforming_client.chat.completions.create(
        model=MODEL,
        tools=tools,
        messages=[
            *messages,
            {"role": "assistant", "content": None, "tool_calls": [tool_call.model_dump()]},
            {"role": "tool", "tool_call_id": tool_call.id, "content": "shipped on Monday"},
        ],
    )
    assert "shipped on Monday" in (answered.choices[0].message.content or "")


def test_streamed_chat_completion(conforming_client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Tell me about owls"}]
    plain = conforming_client.chat.completions.create(model=MODEL, messages=messages)
    chunks = list(
        conforming_client.chat.completions.create(
            model=MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == o200k(text)


# -- prompt caching ----------------------------------------------------------------------------


def test_repeated_long_prefix_reports_cached_tokens(
    sandbox: SandboxHandle, conforming_client: openai.OpenAI
) -> None:
    manual = "Section: the refund policy covers every order placed online. " * 150
    assert o200k(manual) > 1100

    def ask(question: str) -> Any:
        response = conforming_client.responses.create(
            model=MODEL, instructions=manual, input=question
        )
        assert response.usage is not None
        return response.usage

    first = ask("Can I return shoes?")
    second = ask("Can I return a hat?")
    prefix = 3 + o200k("system") + o200k(manual) + 3 + o200k("user")
    assert first.input_tokens_details.cached_tokens == 0
    cached = second.input_tokens_details.cached_tokens
    assert cached >= 1024 and cached % 128 == 0
    assert prefix - 128 < cached <= prefix
    short = conforming_client.responses.create(model=MODEL, input="Can I return a hat?")
    assert short.usage is not None and short.usage.input_tokens_details.cached_tokens == 0
    advance(sandbox, 31 * 60)  # unused for longer than the cache keeps a prefix
    assert ask("Can I return a scarf?").input_tokens_details.cached_tokens == 0


def test_chat_reports_cached_prompt_tokens(conforming_client: openai.OpenAI) -> None:
    system = "Style guide: write plainly, cite sources and avoid jargon at all times. " * 120
    for turn, question in enumerate(("First question?", "Second question?")):
        completion = conforming_client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
        )
        assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
        cached = completion.usage.prompt_tokens_details.cached_tokens or 0
        assert (cached == 0) if turn == 0 else (cached >= 1024 and cached % 128 == 0)


# -- fine-tuned models -------------------------------------------------------------------------


def test_fine_tuned_model_answers_from_its_training_data(
    conforming_client: openai.OpenAI, fine_tuned: str
) -> None:
    asked = [
        "how can I reset my password",
        "where do I download invoices?",
        "change my account email",
    ]
    expected = [answer for _, answer in TRAINING]
    tuned = [
        conforming_client.responses.create(model=fine_tuned, input=q).output_text for q in asked
    ]
    base = [conforming_client.responses.create(model=MODEL, input=q).output_text for q in asked]
    assert tuned == expected
    assert sum(b == e for b, e in zip(base, expected, strict=True)) == 0
    chat = conforming_client.chat.completions.create(
        model=fine_tuned, messages=[{"role": "user", "content": asked[0]}]
    )
    assert chat.choices[0].message.content == expected[0]


def test_fine_tuned_model_is_invisible_to_other_projects(
    other_client: openai.OpenAI, fine_tuned: str
) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        other_client.responses.create(model=fine_tuned, input="how can I reset my password")
    assert caught.value.code == "model_not_found"


def test_fine_tuned_model_with_unrelated_question_answers_like_its_base(
    conforming_client: openai.OpenAI, fine_tuned: str
) -> None:
    answer = conforming_client.responses.create(
        model=fine_tuned, input="zebra xylophone"
    ).output_text
    assert answer not in {a for _, a in TRAINING}


# -- embeddings --------------------------------------------------------------------------------


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_are_deterministic_unit_vectors(conforming_client: openai.OpenAI) -> None:
    texts = ["the cat sat on the mat", "a cat on a mat", "quarterly revenue forecast"]
    small = conforming_client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    again = conforming_client.embeddings.create(
        model="text-embedding-3-small", input=texts[0], encoding_format="float"
    )
    vectors = [d.embedding for d in small.data]
    assert [len(v) for v in vectors] == [1536] * 3
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vectors)
    assert again.data[0].embedding == vectors[0]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.1
    assert small.usage.prompt_tokens == sum(
        len(load_encoding("cl100k_base").encode_ordinary(t)) for t in texts
    )


def test_embedding_dimensions_and_base64(
    conforming_client: openai.OpenAI,
    conforming_lenient_client: openai.OpenAI,
    response_checker: ResponseChecker,
) -> None:
    large = conforming_client.embeddings.create(
        model="text-embedding-3-large", input="hello", encoding_format="float"
    )
    short = conforming_client.embeddings.create(
        model="text-embedding-3-large", input="hello", dimensions=256, encoding_format="float"
    )
    assert len(large.data[0].embedding) == 3072
    head = large.data[0].embedding[:256]
    norm = math.sqrt(sum(x * x for x in head))
    assert short.data[0].embedding == pytest.approx([x / norm for x in head], abs=1e-6)
    # The SDK's default asks for base64 and decodes it; the checker validates the string form.
    decoded = conforming_lenient_client.embeddings.create(
        model="text-embedding-3-large", input="hello"
    )
    assert decoded.data[0].embedding == pytest.approx(large.data[0].embedding, abs=1e-6)
    assert response_checker.checked[-1] == "POST /v1/embeddings -> 200"


# -- errors ------------------------------------------------------------------------------------

BAD_RESPONSES: list[tuple[dict[str, Any], int, str | None, str | None]] = [
    ({"model": MODEL, "input": "hi", "temperatur": 1}, 400, "temperatur", "unknown_parameter"),
    ({"input": "hi"}, 400, "model", "missing_required_parameter"),
    ({"model": MODEL}, 400, "input", "missing_required_parameter"),
    ({"model": MODEL, "input": "hi", "temperature": "hot"}, 400, "temperature", "invalid_type"),
    ({"model": MODEL, "input": "hi", "temperature": 2.5}, 400, "temperature",
     "decimal_above_max_value"),
    ({"model": MODEL, "input": "hi", "top_p": -1}, 400, "top_p", "decimal_below_min_value"),
    ({"model": MODEL, "input": "hi", "max_output_tokens": 8}, 400, "max_output_tokens",
     "integer_below_min_value"),
    ({"model": MODEL, "input": 42}, 400, "input", "invalid_type"),
    ({"model": MODEL, "input": [{"role": "robot", "content": "x"}]}, 400, "input[0].role",
     "invalid_value"),
    ({"model": MODEL, "input": "hi", "text": {"format": {"type": "json_object"}}}, 400, "input",
     None),
    ({"model": "gpt-9-ultra", "input": "hi"}, 404, None, "model_not_found"),
    ({"model": "text-embedding-3-small", "input": "hi"}, 404, "model", None),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "param", "code"), BAD_RESPONSES)
def test_bad_response_requests_are_rejected(
    conforming_http: httpx2.Client,
    body: dict[str, Any],
    status: int,
    param: str | None,
    code: str | None,
) -> None:
    answer = conforming_http.post("responses", json=body)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert (error["param"], error["code"]) == (param, code)


def test_project_model_permissions_are_honoured(
    sandbox: SandboxHandle, conforming_client: openai.OpenAI, conforming_admin_http: httpx2.Client
) -> None:
    project = sandbox.app.state.sandbox.default_project_id
    allowed = "gpt-4o-mini-2024-07-18"
    answer = conforming_admin_http.post(
        f"organization/projects/{project}/model_permissions",
        json={"mode": "allow_list", "model_ids": [allowed]},
    )
    assert answer.status_code == 200
    conforming_client.responses.create(model=allowed, input="hi")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        conforming_client.responses.create(model=MODEL, input="hi")
    assert caught.value.code == "model_not_found"
    assert f"does not have access to model `{MODEL}`" in caught.value.message


def test_out_of_range_messages_are_the_real_ones(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=200
        )
    assert caught.value.body == {  # type: ignore[comparison-overlap]
        "message": "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, "
        "but got 200 instead.",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "decimal_above_max_value",
    }
    with pytest.raises(openai.BadRequestError) as caught:
        conforming_client.responses.create(model=MODEL, input="hi", top_p="wide")  # type: ignore[arg-type]
    assert caught.value.message.endswith(
        "Invalid type for 'top_p': expected a decimal, but got a string instead."
    )


def test_a_shut_down_model_answers_deprecated(
    sandbox: SandboxHandle, conforming_client: openai.OpenAI
) -> None:
    retired = {"id": "gpt-retired", "object": "model", "created": 0, "owned_by": "system"}
    store_of(sandbox).put("model", {**retired, "shutdown_date": "2020-01-01"})
    with pytest.raises(openai.NotFoundError) as caught:
        conforming_client.responses.create(model="gpt-retired", input="hi")
    assert caught.value.code == "model_not_found"
    assert "The model `gpt-retired` has been deprecated" in caught.value.message


def test_unknown_model_message_is_the_real_one(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        conforming_client.chat.completions.create(
            model="gpt-9-ultra", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.message.endswith(
        "The model `gpt-9-ultra` does not exist or you do not have access to it."
    )


BAD_CHATS: list[tuple[dict[str, Any], str, str | None]] = [
    ({"messages": []}, "messages", "empty_array"),
    ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role", "invalid_value"),
    ({"messages": [{"role": "user"}]}, "messages[0].content", "missing_required_parameter"),
    ({"messages": [{"role": "tool", "content": "x", "tool_call_id": "c"}]},
     "messages.[0].role", None),
    ({"messages": [{"role": "user", "content": "x"}], "n": 0}, "n", "integer_below_min_value"),
    ({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}},
     "messages", None),
    ({"messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]},
     "stop", "array_above_max_length"),
    ({"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": True}},
     "stream_options", None),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "param", "code"), BAD_CHATS)
def test_bad_chat_requests_are_rejected(
    conforming_http: httpx2.Client, extra: dict[str, Any], param: str, code: str | None
) -> None:
    answer = conforming_http.post("chat/completions", json={"model": MODEL, **extra})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["param"], error["code"]) == (param, code)


BAD_EMBEDDINGS: list[tuple[dict[str, Any], str | None]] = [
    ({"model": "text-embedding-3-small", "input": ""}, None),
    ({"model": "text-embedding-3-small", "input": []}, None),
    ({"model": "text-embedding-3-small", "input": "x", "dimensions": 0}, "dimensions"),
    ({"model": "text-embedding-3-small", "input": "x", "dimensions": 2000}, "dimensions"),
    ({"model": "text-embedding-3-small", "input": "x", "encoding_format": "hex"},
     "encoding_format"),
    ({"model": MODEL, "input": "x"}, "model"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param"), BAD_EMBEDDINGS)
def test_bad_embedding_requests_are_rejected(
    conforming_http: httpx2.Client, body: dict[str, Any], param: str | None
) -> None:
    answer = conforming_http.post("embeddings", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


def test_sandbox_refuses_to_stream_in_batches(sandbox: SandboxHandle) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "stream": True}
    status, answer = inference.execute(
        sandbox.app.state.sandbox, "p", "k", "/v1/chat/completions", body, batch=True
    )
    assert status == 400 and answer["error"]["param"] == "stream"


# -- usage events and batch entry point ---------------------------------------------------------


def test_every_call_writes_a_usage_event(
    sandbox: SandboxHandle, conforming_client: openai.OpenAI
) -> None:
    response = conforming_client.responses.create(model=MODEL, input="Count me")
    conforming_client.embeddings.create(
        model="text-embedding-3-small", input="Count me", encoding_format="float"
    )
    events = store_of(sandbox).list("usage_event")
    assert [e["endpoint"] for e in events] == ["responses", "embeddings"]
    event = events[0]
    assert response.usage is not None
    assert event["input_tokens"] == response.usage.input_tokens
    assert event["output_tokens"] == response.usage.output_tokens
    assert event["project_id"] == sandbox.app.state.sandbox.default_project_id
    assert event["api_key_id"] == "key_sandboxproject"
    assert (event["num_model_requests"], event["batch"]) == (1, False)
    expected = (event["input_tokens"] * 0.40 + event["output_tokens"] * 1.60) / 1_000_000
    assert event["cost_usd"] == pytest.approx(expected)


def test_execute_runs_a_batch_line_at_half_price(sandbox: SandboxHandle) -> None:
    state = sandbox.app.state.sandbox
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Batch me"}]}
    status, completion = inference.execute(
        state, state.default_project_id, "key_batch", "/v1/chat/completions", body, batch=True
    )
    assert status == 200 and completion["object"] == "chat.completion"
    event = state.store.list("usage_event")[-1]
    assert (event["batch"], event["api_key_id"]) == (True, "key_batch")
    usage = completion["usage"]
    full = cost_usd(
        MODEL,
        input_tokens=usage["prompt_tokens"],
        cached_tokens=0,
        output_tokens=usage["completion_tokens"],
        batch=False,
    )
    assert event["cost_usd"] == pytest.approx(full / 2)
    status, error = inference.execute(
        state, state.default_project_id, "k", "/v1/chat/completions", {"model": MODEL}, batch=True
    )
    assert status == 400 and error["error"]["code"] == "missing_required_parameter"
