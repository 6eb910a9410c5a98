"""What every inference request shares: who calls, which model, and the usage event it leaves.

`inference` builds a `Call` per HTTP request (or per batch line, `batch=True`) and hands it to
the endpoint modules (`responses_api`, `chat_api`, `embeddings`, `moderation`). They resolve the
model with `resolve_model` (scoped: base models everywhere, fine-tuned ones in their project) and
finish with `record_usage`, the `"usage_event"` record the admin usage/costs routes sum up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .admin.project_settings import is_model_allowed
from .http import APIError, check_type, invalid
from .models import visible_model
from .pricing import cost_usd
from .store import new_id

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]
Endpoint = Literal["responses", "chat.completions", "embeddings", "moderations"]
ModelKind = Literal["text", "embedding", "moderation"]


@dataclass(frozen=True)
class Call:
    """One inference request: the sandbox, the project it acts in, the key, batch or not."""

    sandbox: Sandbox
    project_id: str
    api_key_id: str
    batch: bool = False

    def now(self) -> int:
        return self.sandbox.clock.now()


def model_kind(model_id: str) -> ModelKind:
    base = model_id.split(":")[1] if model_id.startswith("ft:") else model_id
    if base.startswith("text-embedding-"):
        return "embedding"
    if "moderation" in base:
        return "moderation"
    return "text"


def model_not_found(model_id: str, *, param: str | None = None) -> APIError:
    return APIError(
        404,
        f"The model `{model_id}` does not exist or you do not have access to it.",
        param=param,
        code="model_not_found",
    )


def resolve_model(call: Call, body: Obj, *, param: str = "model") -> str:
    """The request's model id, checked: known to this project, allowed by its model
    permissions (set through the admin API), not shut down."""
    model_id = body.get(param)
    check_type(model_id, str, param)
    assert isinstance(model_id, str)
    record = visible_model(call.sandbox, call.project_id, model_id)
    if record is None:
        raise model_not_found(model_id)
    if not is_model_allowed(call.sandbox.store, call.project_id, model_id):
        raise APIError(
            403,
            f"Project `{call.project_id}` does not have access to model `{model_id}`",
            code="model_not_found",
        )
    shutdown = record.get("shutdown_date")
    if shutdown and _is_past(shutdown, call.now()):
        raise APIError(
            404,
            f"The model `{model_id}` has been deprecated, learn more here: "
            "https://platform.openai.com/docs/deprecations",
            code="model_not_found",
        )
    return model_id


def require_kind(model_id: str, kind: ModelKind, endpoint_path: str) -> None:
    """Reject a model of the wrong family (an embedding model on /chat/completions...)."""
    if model_kind(model_id) == kind:
        return
    if kind == "text":
        message = (
            f"This is not a chat model and thus not supported in the {endpoint_path} endpoint. "
            "Did you mean to use v1/completions?"
        )
        raise APIError(404, message, param="model")
    if kind == "embedding":
        raise invalid(
            f"The model `{model_id}` does not support embeddings. Use one of "
            "text-embedding-3-small, text-embedding-3-large or text-embedding-ada-002.",
            param="model",
        )
    raise invalid("please request omni-moderation-latest", param="model")


def _is_past(date_text: Any, now: int) -> bool:
    try:
        shutdown = dt.date.fromisoformat(str(date_text))
    except ValueError:
        return False
    today = dt.datetime.fromtimestamp(now, tz=dt.UTC).date()
    return shutdown <= today


def record_usage(
    call: Call,
    *,
    model: str,
    endpoint: Endpoint,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
) -> Obj:
    """Write the `"usage_event"` record (scope '') billed at the dated price table."""
    event: Obj = {
        "id": new_id("usage_evt_"),
        "time": call.now(),
        "project_id": call.project_id,
        "api_key_id": call.api_key_id,
        "model": model,
        "endpoint": endpoint,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "input_cached_tokens": cached_tokens,
        "num_model_requests": 1,
        "batch": call.batch,
        "cost_usd": cost_usd(
            model,
            input_tokens=input_tokens,
            cached_tokens=cached_tokens,
            output_tokens=output_tokens,
            batch=call.batch,
        ),
    }
    return call.sandbox.store.put("usage_event", event)
