"""A WordNet 3.0 database of a few synsets, written in WordNet's own file format, so the meteor
metric is tested with a real NLTK WordNet reader and no download (docs/evals.md)."""

from __future__ import annotations

from pathlib import Path

SYNSETS = {  # noun synsets: their lemmas (the first names the synset)
    "cat": ["cat", "feline"],
    "car": ["car", "automobile", "auto"],
}
POS_FILES = ("noun", "verb", "adj", "adv")


def write_tiny_wordnet(folder: Path) -> Path:
    """WordNet files under `folder` (its `data.noun` lines at their own byte offsets)."""
    folder.mkdir(parents=True, exist_ok=True)
    lexnames = ("adj.all 3", "adj.pert 3", "adv.all 4", "noun.Tops 1", "noun.act 1")
    lexnames += ("noun.animal 1",)
    (folder / "lexnames").write_text(
        "".join(f"{i:02d}\t{name.replace(' ', chr(9))}\n" for i, name in enumerate(lexnames))
    )
    for pos in POS_FILES:
        for name in (f"data.{pos}", f"index.{pos}", f"{pos}.exc"):
            (folder / name).write_text("")
    data = b""
    offsets: dict[str, int] = {}
    for key, lemmas in SYNSETS.items():
        offsets[key] = len(data)
        words = " ".join(f"{lemma} 0" for lemma in lemmas)
        line = f"{len(data):08d} 05 n {len(lemmas):02x} {words} 000 | a {key}  \n"
        data += line.encode()
    (folder / "data.noun").write_bytes(data)
    index = sorted(
        f"{lemma} n 1 0 1 0 {offsets[key]:08d}  \n"
        for key, lemmas in SYNSETS.items()
        for lemma in lemmas
    )
    (folder / "index.noun").write_text("".join(index))
    return folder
