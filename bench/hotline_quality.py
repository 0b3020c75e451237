"""Measure the 12345 message classifier on the real labelled messages.

    python bench/hotline_quality.py [--data PATH] [--folds 5] [--seed 0]

``--data`` defaults to ``hotline/messages_labelled.csv`` in the shared data
directory (``ZHENGTONG_SHARED_DATA``, else ``../shared/data`` beside the repository). The file
needs the columns title, body and label.

What it reports:

* stratified k-fold cross-validation, deduplicated: exact repeats (same
  normalised title and body) are dropped first, and near-duplicates (reworded
  resubmissions) are kept inside one fold, so no message is scored by a model
  that saw a copy of it; macro-F1 per fold and its mean, per-class figures, and
  the expected calibration error of the reported confidence;
* ``train_s``: the wall time to train the shipped model on all the messages;
* ``messages_per_s``: classification throughput of that model on one core
  (the BLAS thread pools are pinned to one thread before numpy loads), over
  every message, in batches of 1,000 as ``zhengtong hotline_classify`` runs.

Human-readable lines first; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import unicodedata
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from zhengtong.hotline.routing_model import (  # noqa: E402
    Example,
    cross_validate,
    read_examples_csv,
    train_model,
)

BATCH = 1000


def _default_data() -> Path:
    shared = os.environ.get("ZHENGTONG_SHARED_DATA") or str(
        Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    return Path(shared) / "hotline" / "messages_labelled.csv"


def _deduplicated(examples: list[Example]) -> list[Example]:
    seen: set[str] = set()
    kept = []
    for example in examples:
        key = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", example.title + example.body))
        if key in seen:
            continue
        seen.add(key)
        kept.append(example)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=_default_data())
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    if not options.data.is_file():
        sys.exit(
            f"{options.data} not found: pass --data PATH to a CSV with columns title, body, label "
            "(the real messages are hotline/messages_labelled.csv in the shared data directory)"
        )

    examples = read_examples_csv(options.data, require_label=True)
    distinct = _deduplicated(examples)
    print(f"{len(examples)} messages, {len(distinct)} after removing exact repeats")

    started = time.perf_counter()
    report = cross_validate(distinct, folds=options.folds, seed=options.seed)
    cv_s = time.perf_counter() - started
    print(
        f"{report.folds}-fold stratified CV over {report.distinct_examples} near-duplicate groups "
        f"({cv_s:.0f} s)"
    )
    for row in report.per_class:
        print(
            f"  {row.label:<8} precision {row.precision:.3f}  recall {row.recall:.3f}  "
            f"F1 {row.f1:.3f}  n={row.support}"
        )
    print(
        "macro-F1 per fold: "
        + ", ".join(f"{f:.4f}" for f in report.macro_f1_folds)
        + f"; mean {report.macro_f1_mean:.4f}; calibration error {report.calibration_error:.3f}"
    )

    for threshold, share, accuracy in report.thresholds:
        print(
            f"  confidence >= {threshold:.2f}: {share:6.1%} of messages routed without a "
            f"dispatcher, {accuracy:6.1%} of them correctly"
        )

    started = time.perf_counter()
    model = train_model(distinct)
    train_s = time.perf_counter() - started
    print(f"training on all {len(distinct)} messages: {train_s:.1f} s")

    unlabelled = [Example(e.title, e.body) for e in examples]
    model.predict(unlabelled[:BATCH])  # warm caches before timing
    started = time.perf_counter()
    for start in range(0, len(unlabelled), BATCH):
        model.predict(unlabelled[start : start + BATCH])
    classify_s = time.perf_counter() - started
    messages_per_s = len(unlabelled) / classify_s
    print(f"classification: {messages_per_s:,.0f} messages/s on one core")

    print(
        json.dumps(
            {
                "macro_f1_mean": round(report.macro_f1_mean, 4),
                "macro_f1_folds": [round(f, 4) for f in report.macro_f1_folds],
                "messages_per_s": round(messages_per_s, 1),
                "train_s": round(train_s, 2),
                "cv_s": round(cv_s, 1),
                "calibration_error": round(report.calibration_error, 4),
                "thresholds": report.as_dict()["thresholds"],
                "messages": len(examples),
                "distinct_messages": len(distinct),
                "folds": report.folds,
                "machine": (
                    f"{platform.machine()} {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}"
                ),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
