"""`POST /v1/moderations`: all 13 current categories, scored deterministically from a word list.

`inference` routes HTTP requests and batch lines to `create_moderation`. Every category starts
at a tiny hash-derived baseline score; each occurrence of a listed word or phrase (WORD_LIST,
documented in docs/sandbox/inference.md) multiplies the category's remaining headroom by
(1 - weight): score = 1 - (1 - baseline) * Π(1 - weight). A hit in a subcategory
(`violence/graphic`) raises its parent (`violence`) too. A category is flagged at score ≥ 0.5,
so one strong entry (0.6) flags it, and two mild ones (0.3 each: 0.51) do as well.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from . import request_checks as checks
from . import tokens
from .calls import Call, record_usage, require_kind, resolve_model
from .http import check_params, check_type, invalid

Obj = dict[str, Any]

DEFAULT_MODEL = "omni-moderation-latest"
# The ids the API document lists for this endpoint: accepted even where GET /models omits them.
MODERATION_MODELS = (
    "omni-moderation-latest",
    "omni-moderation-2024-09-26",
    "text-moderation-latest",
    "text-moderation-stable",
)
FLAG_THRESHOLD = 0.5
STRONG, MILD = 0.6, 0.3
CATEGORIES = (
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
)
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence"}
    | {"violence/graphic"}
)

# Entries are lower-case words or phrases matched on whole words; a trailing `*` matches any
# ending ("kill*" matches kill, killed, killing). Punctuation and hyphens count as spaces.
WORD_LIST: dict[str, tuple[tuple[str, float], ...]] = {
    "harassment": (
        ("idiot*", MILD), ("moron*", MILD), ("loser*", MILD), ("stupid", MILD),
        ("worthless", MILD), ("shut up", MILD), ("nobody likes you", STRONG),
        ("you are pathetic", STRONG),
    ),
    "harassment/threatening": (
        ("i will hurt you", STRONG), ("i will kill you", STRONG), ("watch your back", STRONG),
        ("i know where you live", STRONG), ("you will regret", MILD),
    ),
    "hate": (
        ("subhuman*", STRONG), ("vermin", MILD), ("inferior race", STRONG),
        ("go back to your country", STRONG),
    ),
    "hate/threatening": (
        ("exterminate them", STRONG), ("wipe them out", STRONG), ("ethnic cleansing", STRONG),
    ),
    "illicit": (
        ("counterfeit*", MILD), ("launder*", MILD), ("smuggl*", MILD), ("shoplift*", STRONG),
        ("steal a car", STRONG), ("fake passport", STRONG), ("buy drugs", STRONG),
        ("hack into", STRONG),
    ),
    "illicit/violent": (
        ("pipe bomb", STRONG), ("build a bomb", STRONG), ("untraceable gun", STRONG),
        ("hire a hitman", STRONG),
    ),
    "self-harm": (
        ("self harm", STRONG), ("cut myself", STRONG), ("hurt myself", STRONG),
        ("starve myself", STRONG),
    ),
    "self-harm/intent": (
        ("want to die", STRONG), ("end my life", STRONG), ("kill myself", STRONG),
        ("suicidal", STRONG),
    ),
    "self-harm/instructions": (
        ("how to overdose", STRONG), ("lethal dose", STRONG), ("painless way to die", STRONG),
    ),
    "sexual": (
        ("porn*", STRONG), ("explicit sex", STRONG), ("nude*", MILD), ("erotic*", MILD),
        ("naked", MILD),
    ),
    "sexual/minors": (
        ("underage nude*", STRONG), ("sexualize children", STRONG), ("csam", STRONG),
    ),
    "violence": (
        ("kill*", MILD), ("murder*", STRONG), ("stab", MILD), ("stabbed", MILD),
        ("stabbing", MILD), ("shoot*", MILD), ("assault*", MILD), ("attack*", MILD),
        ("beat him up", STRONG),
    ),
    "violence/graphic": (
        ("gore", STRONG), ("gory", STRONG), ("dismember*", STRONG), ("mutilat*", STRONG),
        ("blood everywhere", STRONG), ("guts spilled", STRONG),
    ),
}  # fmt: skip


def _pattern(entry: str) -> re.Pattern[str]:
    stem = re.escape(entry.rstrip("*"))
    return re.compile(rf"\b{stem}\w*" if entry.endswith("*") else rf"\b{stem}\b")


_PATTERNS = {
    category: tuple((_pattern(entry), weight) for entry, weight in entries)
    for category, entries in WORD_LIST.items()
}


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9']+", " ", text.lower()).split())


def category_scores(text: str) -> dict[str, float]:
    """Scores of all 13 categories for one text (see the module docstring for the rule)."""
    plain = normalize(text)
    headroom = {c: 1.0 - baseline(text, c) for c in CATEGORIES}
    for category, patterns in _PATTERNS.items():
        for pattern, weight in patterns:
            for _ in pattern.finditer(plain):
                headroom[category] *= 1.0 - weight
                parent = category.split("/")[0]
                if parent != category:
                    headroom[parent] *= 1.0 - weight
    return {c: round(1.0 - headroom[c], 6) for c in CATEGORIES}


def baseline(material: str, category: str) -> float:
    """A tiny stable score in [1e-6, 5e-4): what a real model gives harmless text."""
    digest = hashlib.sha256(f"{category}\x00{material}".encode()).digest()
    return 1e-6 + (int.from_bytes(digest[:4], "big") / 2**32) * 5e-4


# -- the endpoint ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationInput:
    texts: tuple[str, ...]
    images: tuple[str, ...]  # image URLs (scored at the baseline: the sandbox cannot see them)


def create_moderation(call: Call, body: Obj) -> Obj:
    check_params(body, allowed=("input", "model"), required=("input",))
    model = body.get("model") or DEFAULT_MODEL
    if model not in MODERATION_MODELS:
        model = resolve_model(call, body)
        require_kind(model, "moderation", "v1/moderations")
    inputs = parse_inputs(body["input"])
    if model.startswith("text-moderation") and any(i.images for i in inputs):
        raise invalid(f"Model {model} does not support image inputs.", param="input")
    spent = sum(tokens.count(text, model) for i in inputs for text in i.texts)
    record_usage(call, model=model, endpoint="moderations", input_tokens=spent, output_tokens=0)
    return {
        "id": "modr-" + secrets.token_hex(16),
        "model": model,
        "results": [result_for(item) for item in inputs],
    }


def parse_inputs(raw: Any) -> list[ModerationInput]:
    """A string, a list of strings (one result each) or a list of parts (one result)."""
    if isinstance(raw, str):
        return [ModerationInput((raw,), ())]
    check_type(raw, (str, list), "input")
    if not raw:
        raise invalid(
            "Invalid 'input': empty array. Expected an array with minimum length 1, but got an "
            "empty array instead.",
            param="input",
            code="empty_array",
        )
    if all(isinstance(item, str) for item in raw):
        return [ModerationInput((item,), ()) for item in raw]
    texts, images = [], []
    for index, part in enumerate(raw):
        param = f"input[{index}]"
        check_type(part, dict, param)
        kind = checks.required_key(part, "type", param)
        checks.one_of(kind, ("text", "image_url"), f"{param}.type")
        if kind == "text":
            text = checks.required_key(part, "text", param)
            check_type(text, str, f"{param}.text")
            texts.append(text)
        else:
            image = checks.required_key(part, "image_url", param)
            check_type(image, dict, f"{param}.image_url")
            url = checks.required_key(image, "url", f"{param}.image_url")
            check_type(url, str, f"{param}.image_url.url")
            images.append(url)
    return [ModerationInput(tuple(texts), tuple(images))]


def result_for(item: ModerationInput) -> Obj:
    text = "\n".join(item.texts)
    scores = category_scores(text)
    for url in item.images:
        for category in IMAGE_CATEGORIES:
            scores[category] = max(scores[category], round(baseline(url, category), 6))
    categories = {c: scores[c] >= FLAG_THRESHOLD for c in CATEGORIES}
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {c: _applied(c, item) for c in CATEGORIES},
    }


def _applied(category: str, item: ModerationInput) -> list[str]:
    applied = ["text"] if item.texts else []
    if item.images and category in IMAGE_CATEGORIES:
        applied.append("image")
    return applied
