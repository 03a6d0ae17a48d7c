"""Measure the claim checker: precision and recall of "sentence -> correct claim" on the
labelled set (tests/fixtures/claims_labelled.tsv), per matching method, and its speed.

This prints figures; it checks nothing. Run from the repository root:

    .venv/bin/python bench/bench_claims.py [--repeat N]

The embedding and combined methods are measured when the optional extra is installed
(`pip install torch==2.13.0` first for a CPU wheel, then `pip install -e '.[embeddings]'`);
otherwise they are reported as unavailable. Definitions:
- recall: of sentences whose right answer is a library claim, the share matched to it;
- precision: of sentences matched to a claim, the share matched to the right one (sentences
  that should be "not assessed" or are not claims count against it when matched);
- unsafe: sentences whose claim is graded contradicted / no evidence reported as a claim graded
  supported (must be 0).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from taperline.domain.evidence.match import Matcher, check_text  # noqa: E402
from taperline.domain.evidence.quality import Labelled, measure, parse_labelled  # noqa: E402
from taperline.services import evidence  # noqa: E402

LABELLED = ROOT / "tests" / "fixtures" / "claims_labelled.tsv"
PUBLIC = ROOT / "tests" / "fixtures" / "claims_public.tsv"  # reworded from public kratom pages
ARTICLE = ROOT / "docs" / "examples" / "kratom-sleep-stack.md"


def row(name: str, split: str, rows: list[Labelled], matcher: Matcher) -> None:
    q = measure(rows, evidence.library(), matcher)
    print(
        f"{name:<10} {split:<8} {len(rows):>4}  P {q.precision:.3f}  R {q.recall:.3f} "
        f"({q.correct}/{q.covered})  not-assessed {q.not_assessed_right}/{q.not_assessed_total}"
        f"  non-claims skipped {q.non_claims_skipped}/{q.non_claims_total}  unsafe {q.unsafe}"
    )


def speed(name: str, matcher: Matcher, sentences: list[str], repeat: int) -> None:
    text = " ".join(sentences)
    check_text(text, evidence.library(), matcher)  # warm up
    start = time.perf_counter()
    for _ in range(repeat):
        report = check_text(text, evidence.library(), matcher)
    seconds = time.perf_counter() - start
    rate = repeat * len(report.results) / seconds
    print(f"{name:<10} {rate:8.0f} sentences/s  ({len(report.results)} sentences x {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--show-mistakes", action="store_true")
    args = parser.parse_args()
    rows = parse_labelled(LABELLED.read_text(encoding="utf-8"))
    splits = {"dev": [r for r in rows if r.split == "dev"]}
    splits["heldout"] = [r for r in rows if r.split == "heldout"]
    splits["fresh"] = [r for r in rows if r.split == "fresh"]
    splits["all"] = rows
    splits["public"] = parse_labelled(PUBLIC.read_text(encoding="utf-8"))
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"labelled set: {len(rows)} sentences ({LABELLED.relative_to(ROOT)})")
    methods: list[tuple[str, Matcher]] = [("lexical", evidence.lexical_matcher())]
    if evidence.embedding_available():
        start = time.perf_counter()
        methods.append(("embedding", evidence.matcher("embedding")))
        print(f"embedding model loaded in {time.perf_counter() - start:.1f} s")
        methods.append(("combined", evidence.matcher("combined")))
    else:
        print("embedding, combined: unavailable (install the [embeddings] extra)")
    print()
    for name, matcher in methods:
        for split, subset in splits.items():
            if subset:
                row(name, split, subset, matcher)
        if args.show_mistakes:
            for sentence, expected, got in measure(rows, evidence.library(), matcher).mistakes:
                print(f"    {expected} -> {got}: {sentence}")
    print()
    sentences = [r.sentence for r in rows]
    for name, matcher in methods:
        speed(name, matcher, sentences, args.repeat)


if __name__ == "__main__":
    main()
