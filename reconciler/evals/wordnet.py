"""Where `text_similarity` `meteor` finds WordNet (its synonym stage), never downloading it.

NLTK's METEOR matches synonyms through WordNet, a corpus the reconciler cannot ship in its
package and must not fetch at run time. `locate` looks, in order, in: the folder
`evals.wordnet` of reconciler.yaml (WordNet 3.0 database files: `data.noun`, `index.noun`,
`lexnames`, …), NLTK's data path (`python -m nltk.downloader wordnet`, run once at setup),
and `/usr/share/wordnet` (Debian and Ubuntu's `wordnet-base` package). `evals/checks.py` makes
a missing WordNet a `validate` error that says so; `graders` calls `reader` when it grades.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

SYSTEM_FOLDERS = (Path("/usr/share/wordnet"),)
MISSING = (
    "meteor needs WordNet data, which the reconciler never downloads at run time: run "
    "`python -m nltk.downloader wordnet` once, or install your system's WordNet "
    "(apt-get install wordnet-base) and set `evals: {wordnet: /usr/share/wordnet}` in "
    "reconciler.yaml"
)


def locate(configured: Path | None = None) -> Path | str | None:
    """The configured folder, NLTK's `corpora/wordnet` (a folder or a zip, as NLTK names it),
    or a system folder: the first that holds WordNet; None when none does."""
    if configured is not None:
        return configured if (configured / "data.noun").is_file() else None
    try:
        import nltk  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return str(nltk.data.find("corpora/wordnet"))
    except (ImportError, LookupError):
        pass
    for folder in SYSTEM_FOLDERS:
        if (folder / "data.noun").is_file():
            return folder
    return None


@cache
def reader(where: Path | str) -> Any:
    """NLTK's WordNet reader over `where` (kept for the process)."""
    import nltk  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nltk.corpus.reader.wordnet import WordNetCorpusReader  # type: ignore[import-untyped,import-not-found,unused-ignore]

    if isinstance(where, str):
        root: Any = nltk.data.find("corpora/wordnet")
    else:
        root = str(where)
        if root not in nltk.data.path:  # NLTK reads corpora only under its data path
            nltk.data.path.append(root)

    class Reader(WordNetCorpusReader):  # type: ignore[misc,unused-ignore]
        def map_wn(self, version: str = "wordnet") -> None:
            """No mapping to NLTK's own WordNet (only for multilingual data, not used): the
            base class would load NLTK's `wordnet` corpus for it."""
            return None

    with warnings.catch_warnings():  # "multilingual functions are not available": not used
        warnings.simplefilter("ignore")
        return Reader(root, None)
