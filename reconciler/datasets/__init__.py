"""Local checks for Dataset files: every OpenAI JSONL format, token counts and cost.

`plan` and `validate` call `check_dataset` for each Dataset before anything is uploaded: it
streams the file once (sha256, format rules, tokens) and returns a `DatasetReport` whose
problems name the JSONL line and a code, and whose stats feed the plan's cost line.
See docs/datasets.md for the formats, codes, counting method and price table.
"""

from reconciler.datasets.check import check_dataset, compare_datasets, file_sha256
from reconciler.datasets.formats import FORMATS, FORMATS_FOR_PURPOSE
from reconciler.datasets.prices import ModelPrice, PriceTable
from reconciler.datasets.problems import CODES, DataProblem
from reconciler.datasets.report import DatasetReport, DatasetStats
from reconciler.datasets.tokens import count_tokens, encoding_for_model

__all__ = [
    "CODES",
    "FORMATS",
    "FORMATS_FOR_PURPOSE",
    "DataProblem",
    "DatasetReport",
    "DatasetStats",
    "ModelPrice",
    "PriceTable",
    "check_dataset",
    "compare_datasets",
    "count_tokens",
    "encoding_for_model",
    "file_sha256",
]
