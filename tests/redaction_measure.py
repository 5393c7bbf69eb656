"""Recall and precision of intake's redaction per kind, over the labelled texts in
`tests/samples/redaction/` (`python -m tests.redaction_measure`): `texts.jsonl`, complaint
sentences written with the personal data in the forms people type (209 texts), and
`hard.jsonl`, texts written afterwards to break the rules (spelled-out numbers, typos, numbers
that are not personal data)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from intake.redaction import KINDS, find

SAMPLES = Path(__file__).resolve().parent / "samples" / "redaction"
SETS = ("texts", "hard")


@dataclass(frozen=True)
class Score:
    """One kind's counts over the set."""

    kind: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def recall(self) -> float:
        """Found of what was there."""
        there = self.true_positives + self.false_negatives
        return self.true_positives / there if there else 1.0

    @property
    def precision(self) -> float:
        """Right of what was found."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0


def labelled(name: str) -> list[dict]:
    """One labelled set: each text with the pieces of personal data in it (kind and value)."""
    path = SAMPLES / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def measure(rows: list[dict]) -> dict[str, Score]:
    """Each kind's score: a piece found with its kind and its exact value is right."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for row in rows:
        expected = Counter((p["kind"], p["value"]) for p in row["pii"])
        got = Counter((f.kind, f.value(row["text"])) for f in find(row["text"]))
        for (kind, _), n in (expected & got).items():
            tp[kind] += n
        for (kind, _), n in (got - expected).items():
            fp[kind] += n
        for (kind, _), n in (expected - got).items():
            fn[kind] += n
    return {k: Score(k, tp[k], fp[k], fn[k]) for k in KINDS}


def misses(rows: list[dict]) -> list[str]:
    """What was missed or wrongly found, one line each (to improve the rules)."""
    lines = []
    for row in rows:
        expected = Counter((p["kind"], p["value"]) for p in row["pii"])
        got = Counter((f.kind, f.value(row["text"])) for f in find(row["text"]))
        for kind, value in expected - got:
            lines.append(f"missed {kind} {value!r} in {row['text']!r}")
        for kind, value in got - expected:
            lines.append(f"wrong  {kind} {value!r} in {row['text']!r}")
    return lines


def table(title: str, rows: list[dict]) -> None:
    """Print one set's scores."""
    print(f"\n{title}: {len(rows)} labelled texts")
    print(f"{'kind':<14} {'recall':>7} {'precision':>9}   tp  fp  fn")
    for score in measure(rows).values():
        print(
            f"{score.kind:<14} {score.recall:7.3f} {score.precision:9.3f}  "
            f"{score.true_positives:3d} {score.false_positives:3d} {score.false_negatives:3d}"
        )


def main() -> None:
    """Print each set's table and both together, then every miss."""
    sets = {name: labelled(name) for name in SETS}
    for name, rows in sets.items():
        table(name, rows)
    everything = [row for rows in sets.values() for row in rows]
    table("all", everything)
    print()
    for line in misses(everything):
        print(line)


if __name__ == "__main__":
    main()
