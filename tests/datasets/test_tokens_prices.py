"""Offline token counting, the model-to-encoding map, and the dated price table."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import reconciler.datasets as datasets
from reconciler.datasets import PriceTable, check_dataset, count_tokens, encoding_for_model
from reconciler.datasets import tokens as tokens_module
from reconciler.errors import ConfigError

from .lines import Writer, valid_lines


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4.1-mini-2025-04-14", "o200k_base"),
        ("ft:gpt-4.1-mini-2025-04-14:acme:support:AbC123", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::xyz", "o200k_base"),
        ("gpt-4o", "o200k_base"),
        ("gpt-5.6-sol", "o200k_base"),
        ("gpt-5.6-luna-2026-07-09", "o200k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::abc", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("some-future-model", "o200k_base"),
        (None, "o200k_base"),
    ],
)
def test_encoding_for_model(model: str | None, encoding: str) -> None:
    assert encoding_for_model(model) == encoding


def test_count_tokens_offline_with_both_encodings() -> None:
    before = os.environ.get("TIKTOKEN_CACHE_DIR")
    assert count_tokens("hello world", "gpt-4o") == 2
    assert count_tokens("hello world", "gpt-3.5-turbo") == 2
    assert count_tokens("<|endoftext|>", "gpt-4o") > 1  # special-token text is plain text
    assert count_tokens("", None) == 0
    assert os.environ.get("TIKTOKEN_CACHE_DIR") == before  # left as it was


def test_a_damaged_encoding_file_is_refused_not_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = tokens_module.ENCODING_FILES["cl100k_base"]
    (tmp_path / name).write_bytes(b"not the table")
    monkeypatch.setattr(tokens_module, "ENCODINGS_DIR", tmp_path)
    monkeypatch.setattr(tokens_module, "_loaded", {})
    with pytest.raises(tokens_module.EncodingUnavailableError, match="sha256"):
        tokens_module.load_encoding("cl100k_base")


def test_shipped_price_table_is_dated() -> None:
    table = PriceTable.load()
    assert table.price_date == "2026-11"
    assert table.batch_discount == 0.5
    found = table.training_cost("ft:gpt-4.1-mini-2025-04-14:acme::x", 1_000_000)
    assert found == ("gpt-4.1-mini", 5.0)
    assert table.training_cost("gpt-5.6-terra", 1_000_000) is None  # not fine-tunable
    assert table.batch_input_cost("gpt-5.6-luna", 1_000_000) == ("gpt-5.6-luna", 0.1)


def test_price_override_merges_over_the_shipped_table(tmp_path: Path) -> None:
    override = tmp_path / "prices.json"
    override.write_text(
        json.dumps(
            {
                "price_date": "2026-12",
                "models": {
                    "gpt-4.1-mini": {"training": 4.0},
                    "acme-model": {"training": 1.0, "input": 0.5},
                },
            }
        )
    )
    table = PriceTable.load(override)
    assert table.price_date == "2026-12"
    assert table.models["gpt-4.1-mini"].training == 4.0
    assert table.models["gpt-4.1-mini"].input == 0.4  # kept from the shipped table
    assert table.training_cost("acme-model-2027", 2_000_000) == ("acme-model", 2.0)
    assert table.digest() != PriceTable.load().digest()


@pytest.mark.parametrize(
    "content", ["{not json", '{"models": {"x": 3}}', '{"models": {"x": {"training": -1}}}']
)
def test_bad_price_override_is_a_config_error(tmp_path: Path, content: str) -> None:
    override = tmp_path / "prices.json"
    override.write_text(content)
    with pytest.raises(ConfigError):
        PriceTable.load(override)


def test_cost_estimate_uses_the_given_price_table(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl(valid_lines("chat", 100))
    shipped = check_dataset(path, purpose="fine-tune", model="gpt-4.1-mini")
    override = tmp_path / "prices.json"
    override.write_text(
        json.dumps({"price_date": "2027-01", "models": {"gpt-4.1-mini": {"training": 10.0}}})
    )
    custom = check_dataset(
        path, purpose="fine-tune", model="gpt-4.1-mini", prices=PriceTable.load(override)
    )
    assert shipped.stats.billed_tokens == custom.stats.billed_tokens
    assert shipped.stats.epochs == 3  # 100 examples: the automatic choice stays at 3
    assert custom.stats.estimated_cost_usd == pytest.approx(2 * shipped.stats.estimated_cost_usd)  # type: ignore[operator]
    assert "gpt-4.1-mini training price (2027-01)" in custom.summary_lines()[1]


def test_public_api_is_exactly_what_other_parts_call() -> None:
    for name in datasets.__all__:
        assert hasattr(datasets, name), name
    parameters = inspect.signature(datasets.check_dataset).parameters
    assert list(parameters)[:10] == [
        "path",
        "purpose",
        "format",
        "model",
        "n_epochs",
        "batch_endpoint",
        "item_schema",
        "cache_dir",
        "prices",
        "count_tokens",
    ]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(parameters.values())[1:])


def test_every_code_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "datasets.md").read_text(encoding="utf-8")
    missing = [code for code in datasets.CODES if f"`{code}`" not in docs]
    assert missing == []


def test_importing_the_package_loads_neither_the_sdk_nor_tiktoken() -> None:
    """validate starts fast and offline: tiktoken and jsonschema load on first use only."""
    code = (
        "import sys, reconciler.datasets; "
        "print(sorted(m for m in ('openai', 'tiktoken', 'jsonschema') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
