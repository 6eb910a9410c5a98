"""Rules for Batch API input lines: `{"custom_id", "method": "POST", "url", "body"}`.

Called by `scan.py` for the batch format. Checks the request envelope, that every
request uses the batch's endpoint and model (given, or taken from the first request by
`check.py`), that the body carries what the endpoint requires, and estimates input tokens.
custom_id uniqueness across the file is decided in `check.py` from the ids collected here.
"""

from __future__ import annotations

from typing import Any, get_args

from reconciler.datasets.formats import check_tools, report_missing, report_unknown_keys
from reconciler.datasets.messages import check_messages
from reconciler.datasets.problems import closest
from reconciler.datasets.rulebase import REQUEST_RULES, CheckOptions, ChunkTally, LineContext
from reconciler.datasets.tokens import REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TokenCounter
from reconciler.models.dataset import BatchEndpoint

SUPPORTED_ENDPOINTS: tuple[str, ...] = get_args(BatchEndpoint)  # one list: the manifest's
REQUIRED_BODY_KEY = {
    "/v1/chat/completions": "messages",
    "/v1/responses": "input",
    "/v1/embeddings": "input",
    "/v1/moderations": "input",
    "/v1/completions": "prompt",
    "/v1/images/generations": "prompt",
    "/v1/images/edits": "prompt",
    "/v1/videos": "prompt",
}
BATCH_KEYS = frozenset({"custom_id", "method", "url", "body"})
MAX_REQUESTS = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_EMBEDDING_INPUTS = 50_000
CUSTOM_IDS_KEPT_PER_CHUNK = 100_000


def check_batch(
    example: dict[str, Any], ctx: LineContext, opts: CheckOptions, tally: ChunkTally
) -> None:
    report_unknown_keys(example, BATCH_KEYS, ctx, "batch_unrecognized_key", "the request")
    for key in ("custom_id", "method", "url", "body"):
        if key not in example:
            report_missing("batch_missing_key", key, example, ctx, "the request has ", BATCH_KEYS)
    _check_custom_id(example, ctx, tally)
    if "method" in example and example["method"] != "POST":
        ctx.add(
            "batch_invalid_method", f"method is {example['method']!r}, not 'POST'", key="method"
        )
    endpoint = _check_url(example, ctx, opts)
    body = example.get("body")
    if "body" in example and type(body) is not dict:
        ctx.add("batch_body_invalid", "body is not a JSON object", key="body")
    tokens = _check_body(body, endpoint, ctx, opts, tally) if type(body) is dict else 0
    tally.count_example(ctx, opts, tokens)


def _check_custom_id(example: dict[str, Any], ctx: LineContext, tally: ChunkTally) -> None:
    if "custom_id" not in example:
        return
    custom_id = example["custom_id"]
    if type(custom_id) is not str or not custom_id:
        ctx.add("invalid_custom_id", f"custom_id is {custom_id!r}", key="custom_id")
    elif len(tally.custom_ids) < CUSTOM_IDS_KEPT_PER_CHUNK:
        tally.custom_ids.append((custom_id, ctx.line))


def _check_url(example: dict[str, Any], ctx: LineContext, opts: CheckOptions) -> str | None:
    if "url" not in example:
        return opts.batch_url
    url = example["url"]
    if type(url) is not str or url not in SUPPORTED_ENDPOINTS:
        hint = closest(str(url), SUPPORTED_ENDPOINTS)
        ctx.add(
            "batch_unsupported_endpoint",
            f"url {url!r} is not a Batch API endpoint",
            f"did you mean {hint!r}?" if hint else "supported: " + ", ".join(SUPPORTED_ENDPOINTS),
            key="url",
        )
        return opts.batch_url
    if opts.batch_url is not None and url != opts.batch_url:
        ctx.add(
            "batch_url_mismatch",
            f"url is {url!r}, but the batch's endpoint is {opts.batch_url!r}",
            key="url",
        )
    return url


def _check_body(
    body: dict[str, Any],
    endpoint: str | None,
    ctx: LineContext,
    opts: CheckOptions,
    tally: ChunkTally,
) -> int:
    model = body.get("model")
    if type(model) is not str or not model:
        report_missing(
            "batch_missing_model",
            "model",
            body,
            ctx,
            "body has ",
            frozenset(REQUIRED_BODY_KEY.values()),
        )
    elif opts.batch_model is not None and model != opts.batch_model:
        ctx.add(
            "batch_multiple_models",
            f"body.model is {model!r}, but the file's first request uses {opts.batch_model!r}",
            key="model",
        )
    required = REQUIRED_BODY_KEY.get(endpoint or "")
    if required is not None and required not in body:
        typo = closest(required, body)
        ctx.add(
            "batch_body_missing_key",
            f"body has no {required!r}, which {endpoint} requires",
            f"rename {typo!r} to {required!r}" if typo else None,
        )
        return 0
    if endpoint == "/v1/chat/completions":
        return _chat_tokens(body, ctx)
    if endpoint == "/v1/embeddings":
        inputs, tokens = _input_tokens(body.get("input"), ctx.counter)
        tally.embedding_inputs += inputs
        return tokens
    if endpoint == "/v1/responses":
        return _responses_tokens(body, ctx.counter)
    key = "input" if endpoint == "/v1/moderations" else "prompt"
    return _input_tokens(body.get(key), ctx.counter)[1]


def _chat_tokens(body: dict[str, Any], ctx: LineContext) -> int:
    messages = body["messages"]
    if type(messages) is not list or not messages:
        report_missing(
            "missing_messages_list", "messages", body, ctx, "body has ", frozenset({"messages"})
        )
        return 0
    declared, tool_tokens = check_tools(body, ctx)
    summary = check_messages(messages, REQUEST_RULES, ctx, "body.messages", declared)
    return summary.tokens + tool_tokens + REPLY_PRIMING_TOKENS


def _input_tokens(value: Any, counter: TokenCounter | None) -> tuple[int, int]:
    """(number of inputs, tokens) of an embeddings/moderations/completions input."""
    if type(value) is str:
        return 1, counter.text(value) if counter else 0
    if type(value) is not list or not value:
        return 0, 0
    if all(type(v) is int for v in value):
        return 1, len(value)
    tokens = 0
    for item in value:
        if type(item) is str and counter is not None:
            tokens += counter.text(item)
        elif type(item) is list:
            tokens += len(item)
        elif type(item) is dict and type(item.get("text")) is str and counter is not None:
            tokens += counter.text(item["text"])
    return len(value), tokens


def _responses_tokens(body: dict[str, Any], counter: TokenCounter | None) -> int:
    if counter is None:
        return 0
    tokens = 0
    instructions = body.get("instructions")
    if type(instructions) is str:
        tokens += counter.repeated(instructions)
    source = body.get("input")
    if type(source) is str:
        return tokens + counter.text(source)
    for item in source if type(source) is list else []:
        if type(item) is not dict:
            continue
        tokens += TOKENS_PER_MESSAGE
        content = item.get("content")
        if type(content) is str:
            tokens += counter.text(content)
        elif type(content) is list:
            tokens += sum(
                counter.text(part["text"])
                for part in content
                if type(part) is dict and type(part.get("text")) is str
            )
    return tokens
