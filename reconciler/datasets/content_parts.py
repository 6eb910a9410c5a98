"""Rules for list content: text, image and other parts of a message, and image URLs.

Called by `messages.py` when a message's content is a list. Fine-tuning formats accept text and
images (JPEG, PNG, WEBP; at most 10 MB; only in user messages); batch requests are checked
for shape only. Returns the parts' text tokens and counts images into the summary.
"""

from __future__ import annotations

from typing import Any

from reconciler.datasets.problems import did_you_mean
from reconciler.datasets.rulebase import LineContext, MessageRules, MessagesSummary, json_type

MAX_IMAGE_BYTES = 10 * 1024 * 1024
TRAINING_IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp"})
REQUEST_IMAGE_TYPES = TRAINING_IMAGE_TYPES | {"image/gif"}
NON_TRAINING_IMAGE_EXTENSIONS = frozenset(
    {"gif", "bmp", "tif", "tiff", "svg", "heic", "heif", "avif", "ico"}
)
PART_TYPES = ("text", "image_url", "refusal", "input_audio", "file")


def check_parts(
    parts: list[Any],
    role: str,
    where: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
) -> int:
    if not parts:
        ctx.add(
            "missing_content",
            f"{where} ({role}) has an empty content list",
            key="content",
            at=where,
        )
        return 0
    tokens = 0
    counter = ctx.counter
    for index, part in enumerate(parts):
        at = f"{where}.content[{index}]"
        if type(part) is not dict:
            ctx.add("invalid_content_part", f"{at} is {json_type(part)}, not an object")
            continue
        kind = part.get("type")
        if kind == "text" or (kind == "refusal" and role == "assistant"):
            text = part.get(kind)
            if type(text) is not str or not text:
                ctx.add("invalid_content_part", f"{at} ({kind}) needs a non-empty {kind!r} string")
            elif counter is not None:
                tokens += counter.text(text)
        elif kind == "image_url":
            _check_image_part(part, role, at, rules, ctx, summary)
        elif kind in PART_TYPES and role == "user":
            if rules.training:
                ctx.add(
                    "invalid_content_part",
                    f"{at} is {kind!r}: fine-tuning accepts only text and image content",
                    "remove the part or describe it in text",
                )
        else:
            hint = did_you_mean(str(kind), PART_TYPES) or f"{role} messages take text parts"
            ctx.add(
                "invalid_content_part",
                f"{at} has type {kind!r}, not allowed in a {role} message",
                hint,
            )
    return tokens


def _check_image_part(
    part: dict[str, Any],
    role: str,
    at: str,
    rules: MessageRules,
    ctx: LineContext,
    summary: MessagesSummary,
) -> None:
    if role == "assistant":
        ctx.add("image_in_assistant_message", f"{at} is an image in an assistant message")
        return
    if role != "user":
        ctx.add(
            "invalid_content_part",
            f"{at} is an image in a {role} message; only user messages can hold images",
            "move the image to a user message",
        )
        return
    summary.images += 1
    image = part.get("image_url")
    url = image.get("url") if type(image) is dict else None
    if type(url) is not str or not url:
        ctx.add("invalid_image_url", f"{at} needs image_url.url")
        return
    detail = image.get("detail") if type(image) is dict else None
    if detail is not None and detail not in ("auto", "low", "high"):
        ctx.add("invalid_image_url", f"{at} has detail {detail!r}; use auto, low or high")
    if url.startswith("data:"):
        _check_data_url(url, at, rules, ctx)
    elif url.startswith(("https://", "http://")):
        path = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        if rules.training and extension in NON_TRAINING_IMAGE_EXTENSIONS:
            ctx.add("suspicious_image_url", f"{at} looks like a .{extension} image")
    else:
        ctx.add("invalid_image_url", f"{at} url is neither http(s) nor a data URL: {url[:40]!r}")


def _check_data_url(url: str, at: str, rules: MessageRules, ctx: LineContext) -> None:
    header, comma, payload = url.partition(",")
    if not comma or not header.endswith(";base64"):
        ctx.add("invalid_image_url", f"{at} is a data URL without ';base64,'")
        return
    media_type = header[len("data:") : -len(";base64")].lower()
    allowed = TRAINING_IMAGE_TYPES if rules.training else REQUEST_IMAGE_TYPES
    if media_type not in allowed:
        ctx.add(
            "unsupported_image_format",
            f"{at} is {media_type or 'untyped'}; allowed: {', '.join(sorted(allowed))}",
        )
    elif rules.training and len(payload) * 3 // 4 > MAX_IMAGE_BYTES:
        size_mb = len(payload) * 3 / 4 / 1024 / 1024
        ctx.add("image_too_large", f"{at} is about {size_mb:.1f} MB (limit 10 MB)")
