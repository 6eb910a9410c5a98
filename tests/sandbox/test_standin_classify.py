"""The stand-in base model answers classification prompts with a label (issue 11): the label
whose words (the label, plus its description when the prompt gives one) best match the user's
text, ties to the first listed, so a prompt that describes its labels scores better."""

from __future__ import annotations

import pytest

from reconciler.sandbox.standin import Conversation, Message, classification_labels, classify_reply

BRIEF = "Classify the email as billing, technical, sales or general."
DETAILED = (
    BRIEF + "\n- billing: invoices, refunds, charges, payment\n- technical: crash, error, "
    "login, password\n- sales: quote, pricing, upgrade, discount\n- general: anything else"
)


def _answer(instructions: str, text: str) -> str | None:
    return classify_reply(Conversation((Message("developer", instructions), Message("user", text))))


@pytest.mark.parametrize(
    ("text", "brief", "detailed"),
    [
        ("My invoice shows a double charge", "billing", "billing"),
        ("The app crashes on login", "billing", "technical"),
        ("Can I get a quote for more seats?", "billing", "sales"),
        ("A technical question about exports", "technical", "technical"),
    ],
)
def test_a_detailed_prompt_gets_better_labels(text: str, brief: str, detailed: str) -> None:
    assert _answer(BRIEF, text) == brief
    assert _answer(DETAILED, text) == detailed


def test_labels_are_read_from_the_instruction_only() -> None:
    assert classification_labels("Classify it as spam or ham.") == {
        "spam": frozenset({"spam"}),
        "ham": frozenset({"ham"}),
    }
    assert classification_labels("Answer briefly.") is None
    assert classify_reply(Conversation((Message("user", BRIEF),))) is None  # not an instruction
