"""rules.json is current, and what a schema cannot say keeps the fast path out.

Custom validation code in a model marks its kind unsupported; a spec's `problems()` is only
checked by a fast copy written for the same source, and that copy agrees with the model.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, get_args

import pytest
from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from reconciler.fastcheck.cross_field import passes_cross_field_checks
from reconciler.fastcheck.generate import RULES_FILE, has_custom_validation, render_rules
from reconciler.fastcheck.stack import load_rules
from reconciler.models.dataset import BatchEndpoint, DatasetFormat, DatasetSpec, FilePurpose


def test_committed_rules_are_current() -> None:
    assert RULES_FILE.read_text(encoding="utf-8") == render_rules(), (
        "reconciler/fastcheck/rules.json is stale: run python -m reconciler.fastcheck.generate "
        "(and if a spec's problems() changed, review reconciler/fastcheck/cross_field.py)"
    )


def test_every_shipped_kind_is_supported() -> None:
    rules = load_rules()

    assert rules["config"]["supported"]
    assert all(entry["supported"] for entry in rules["kinds"].values())


class Plain(BaseModel):
    name: str = Field(min_length=1)
    path: Annotated[str, Field(pattern="^x")] = "x"


class WithFieldValidator(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def lower(cls, value: str) -> str:
        return value.lower()


class WithModelValidator(BaseModel):
    name: str

    @model_validator(mode="after")
    def check(self) -> WithModelValidator:
        return self


class WithAnnotatedValidator(BaseModel):
    name: Annotated[str, AfterValidator(str.strip)]


class WithPostInit(BaseModel):
    name: str

    def model_post_init(self, context: Any, /) -> None:
        pass


class Nested(BaseModel):
    inner: WithAnnotatedValidator


@pytest.mark.parametrize(
    ("model", "custom"),
    [
        (Plain, False),
        (WithFieldValidator, True),
        (WithModelValidator, True),
        (WithAnnotatedValidator, True),
        (WithPostInit, True),
        (Nested, True),
    ],
)
def test_custom_validation_is_detected(model: type[BaseModel], custom: bool) -> None:
    assert has_custom_validation(model) is custom


def dataset_specs() -> list[dict[str, Any]]:
    purposes = get_args(FilePurpose)
    formats = (None, *get_args(DatasetFormat))
    endpoints = (None, *get_args(BatchEndpoint))
    return [
        {"file": "x.jsonl", "purpose": p, "format": f, "batch_endpoint": e}
        for p, f, e in itertools.product(purposes, formats, endpoints)
    ]


def test_the_fast_copy_of_dataset_problems_agrees_with_the_model() -> None:
    rules = load_rules()["kinds"]["Dataset"]["cross_field_checks"]
    for spec in dataset_specs():
        has_problem = any(DatasetSpec.model_validate(spec).problems())
        assert passes_cross_field_checks("Dataset", spec, rules) is not has_problem, spec


def test_a_changed_problems_method_turns_the_fast_copy_off() -> None:
    rules = dict(load_rules()["kinds"]["Dataset"]["cross_field_checks"], digest="0" * 16)
    clean = {"file": "x.jsonl", "purpose": "fine-tune", "format": "chat"}

    assert passes_cross_field_checks("Dataset", clean, rules) is False
    assert passes_cross_field_checks("Unknown", clean, load_rules()["kinds"]["Dataset"]) is False
