"""The deterministic stand-in model behind the sandbox's responses and chat completions.

`responses_api` and `chat_api` turn a request into a `Conversation` and call `generate(...)`:
plain text, JSON for a schema, or a function call. Same conversation, model, temperature and
choice index → same output. Base models answer with a short templated sentence that echoes the
prompt's key words; fine-tuned models answer from their training data (`training_sets`).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import orjson

from . import tokens, training_sets
from .schema_values import value_for_schema

if TYPE_CHECKING:
    from .calls import Call

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
_STOPWORD_TEXT = """a about above after again against all also am an and any are as at be because
    been before being below between both but by can could did do does doing down during each few
    for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself no nor not now of off on once only or other our
    ours out over own please same she should so some such tell than that the their theirs them
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself give explain write
    short answer question using make need want know like"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_TEMPLATES = (
    "Here is a short answer about {topic}: start with {a}, then look at {b} and adjust as you go.",
    "Good question about {topic}. The key points are {a} and {b}; each deserves a quick check.",
    "In short, {topic} comes down to a few basics. Begin with {a} and keep {b} in mind.",
    "Thanks for asking about {topic}. Briefly: consider {a} first, then {b}.",
)
_ONE_WORD_TEMPLATES = (
    "Here is a short answer about {topic}: start with the basics, check the details, and adjust "
    "as you go.",
    "Good question about {topic}. It depends on your context, but the basics are a good start.",
    "In short, {topic} is easier than it looks: take it one step at a time.",
)
_GREETINGS = (
    "Hello! How can I help you today?",
    "Hi there! What would you like to know?",
    "Sure, I am happy to help. Could you tell me a bit more?",
)


@dataclass(frozen=True)
class Message:
    role: str  # system | developer | user | assistant | tool
    text: str
    name: str = ""


@dataclass(frozen=True)
class Conversation:
    """The prompt as the stand-in sees it: ordered messages plus extra prompt text (tools...)."""

    messages: tuple[Message, ...]
    extra: tuple[str, ...] = field(default=())

    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return self.messages[-1].text if self.messages else ""

    def fingerprint(self) -> str:
        parts = [f"{m.role}\x1f{m.name}\x1f{m.text}" for m in self.messages] + list(self.extra)
        return "\x1e".join(parts)


def seed_for(model: str, conversation: Conversation, temperature: float, choice: int) -> int:
    """Hash seed: a temperature of 0 gives every choice the same answer, as greedy decoding does."""
    variant = 0 if temperature == 0 else choice
    material = f"{model}\x1d{temperature}\x1d{variant}\x1d{conversation.fingerprint()}"
    return int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")


def keywords(text: str, limit: int = 3) -> list[str]:
    """The first distinct content words of a text (no stop words, at least 4 letters)."""
    return [word.lower() for word in _keyword_matches(text, limit)]


def _keyword_matches(text: str, limit: int) -> list[str]:
    found: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower().strip("'-")
        if "'" in lowered:  # contractions (what's, don't) are never the topic
            continue
        if len(lowered) >= 4 and lowered not in _STOPWORDS and lowered not in found:
            found.append(lowered)
        if len(found) == limit:
            break
    return found


def topic_of(text: str, words: list[str]) -> str:
    """The question's own words from its first to its last keyword ("capital of France")."""
    lowered = text.lower()
    start = lowered.find(words[0])
    last = words[-1]
    end = lowered.find(last, start) + len(last)
    span = text[start:end]
    if len(span.split()) > 8:
        return " ".join(words)
    return span


_CLASSIFY = re.compile(
    r"\bclassify\b[^.\n]*?\bas\b\s+(?:one of\s+)?(?:either\s+)?(?P<labels>[^.:;\n]+)", re.I
)
_LABEL_SPLIT = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+")
_LABEL_WORD = re.compile(r"[a-z][a-z0-9_-]*")


def classification_labels(instructions: str) -> dict[str, frozenset[str]] | None:
    """The labels a "Classify ... as a, b or c" instruction lists, each with its vocabulary:
    the label itself plus the words of a `label: description` line, if the prompt has one."""
    match = _CLASSIFY.search(instructions)
    if match is None:
        return None
    labels = [part.strip().lower() for part in _LABEL_SPLIT.split(match["labels"].strip())]
    if len(labels) < 2 or not all(_LABEL_WORD.fullmatch(label) for label in labels):
        return None
    vocabulary = {label: {label} for label in labels}
    for line in instructions.splitlines():
        head, colon, description = line.strip().lstrip("-* ").partition(":")
        if colon and head.strip().lower() in vocabulary:
            vocabulary[head.strip().lower()] |= set(keywords(description, 50))
    return {label: frozenset(words) for label, words in vocabulary.items()}


def classify_reply(conversation: Conversation) -> str | None:
    """A classification prompt's answer: the label whose words best match the user's text
    (ties, and no match at all, go to the label listed first)."""
    instructions = "\n".join(
        m.text for m in conversation.messages if m.role in ("system", "developer")
    )
    labels = classification_labels(instructions) if instructions else None
    if labels is None:
        return None
    words = set(keywords(conversation.last_user_text(), 200))
    return max(labels, key=lambda label: len(labels[label] & words))


def generic_reply(conversation: Conversation, seed: int) -> str:
    """A base model's answer: the label of a classification prompt, else a templated sentence
    that echoes the question's key words."""
    rng = random.Random(seed)
    last = conversation.messages[-1] if conversation.messages else None
    if last is not None and last.role == "tool":
        return f"Here is what I found: {last.text[:400]}"
    label = classify_reply(conversation)
    if label is not None:
        return label
    question = conversation.last_user_text()
    words = keywords(question)
    if not words:
        return rng.choice(_GREETINGS)
    topic = topic_of(question, words)
    if len(words) == 1:
        return rng.choice(_ONE_WORD_TEMPLATES).format(topic=topic)
    return rng.choice(_TEMPLATES).format(topic=topic, a=words[0], b=words[-1])


@dataclass(frozen=True)
class FunctionSpec:
    """A function tool the caller offers: its name and JSON-schema parameters."""

    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class OutputFormat:
    kind: Literal["text", "json_object", "json_schema"] = "text"
    schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Generation:
    """What the stand-in produced for one choice."""

    text: str | None  # None when the model called a function
    function: FunctionSpec | None
    arguments: str
    output_tokens: int
    truncated: bool  # cut at the output token limit
    stopped: bool  # cut at a stop sequence


@dataclass(frozen=True)
class Settings:
    """Request knobs that shape the output."""

    temperature: float = 1.0
    output_format: OutputFormat = OutputFormat()
    tools: tuple[FunctionSpec, ...] = ()
    tool_choice: Any = "auto"
    max_output_tokens: int | None = None
    stop: tuple[str, ...] = ()


def generate(
    call: Call, model: str, conversation: Conversation, settings: Settings, choice: int = 0
) -> Generation:
    """One deterministic completion of `conversation`."""
    seed = seed_for(model, conversation, settings.temperature, choice)
    function = choose_function(conversation, settings.tools, settings.tool_choice)
    if function is not None:
        text = answer_text(call, model, conversation, seed)
        arguments = orjson.dumps(
            value_for_schema(function.parameters, text, keywords(text, 8), seed)
        ).decode()
        spent = tokens.count(function.name, model) + tokens.count(arguments, model) + 3
        return Generation(None, function, arguments, spent, False, False)
    text = structured_text(call, model, conversation, settings.output_format, seed)
    text, stopped = cut_at_stop(text, settings.stop)
    encoded = tokens.encode(text, model)
    limit = settings.max_output_tokens
    if limit is not None and len(encoded) > limit:
        return Generation(tokens.decode(encoded[:limit], model), None, "", limit, True, False)
    return Generation(text, None, "", len(encoded), False, stopped)


def answer_text(call: Call, model: str, conversation: Conversation, seed: int) -> str:
    """The plain answer: from training data for fine-tuned models, else generic."""
    answered_tool = bool(conversation.messages) and conversation.messages[-1].role == "tool"
    if model.startswith("ft:") and not answered_tool:
        answer = training_sets.nearest_reply(call, model, conversation.last_user_text())
        if answer is not None:
            return answer
    return generic_reply(conversation, seed)


def structured_text(
    call: Call, model: str, conversation: Conversation, output_format: OutputFormat, seed: int
) -> str:
    if output_format.kind == "json_schema":
        from .grading import grading_answer

        messages = [(m.role, m.text) for m in conversation.messages]
        graded = grading_answer(messages, output_format.schema, _STOPWORDS)
        if graded is not None:  # a score_model / label_model grader's request
            return graded
    text = answer_text(call, model, conversation, seed)
    if output_format.kind == "text":
        return text
    if training_sets.as_json(text) is not None:  # a fine-tune trained on JSON answers
        return text
    if output_format.kind == "json_object":
        return orjson.dumps({"answer": text}).decode()
    value = value_for_schema(output_format.schema, text, keywords(text, 8), seed)
    return orjson.dumps(value).decode()


def choose_function(
    conversation: Conversation, tools: tuple[FunctionSpec, ...], tool_choice: Any
) -> FunctionSpec | None:
    """Forced by `tool_choice`, or (auto) a function whose name the last user message mentions."""
    if not tools or tool_choice == "none":
        return None
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("name") or (tool_choice.get("function") or {}).get("name")
        return next((t for t in tools if t.name == wanted), None)
    last = conversation.messages[-1] if conversation.messages else None
    if last is None or last.role == "tool":
        return None
    asked = last.text.lower()
    mentioned = next(
        (t for t in tools if t.name.lower() in asked or t.name.replace("_", " ") in asked), None
    )
    if mentioned is None and tool_choice == "required":
        return tools[0]
    return mentioned


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    positions = [text.find(s) for s in stop if s and s in text]
    if not positions:
        return text, False
    return text[: min(positions)], True
