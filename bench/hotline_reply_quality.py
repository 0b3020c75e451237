"""Evaluate the hotline reply-quality score on real message-reply pairs.

    python bench/hotline_reply_quality.py [--data messages_with_replies.xlsx]

The data is the public 2,816-pair workbook of the 2020 Teddy Cup challenge
(留言主题, 留言时间, 留言详情, 答复意见, 答复时间), read from ``--data`` or
from ``hotline/messages_with_replies.xlsx`` under the shared data directory
(``ZHENGTONG_SHARED_DATA``, else ``../shared/data`` beside the repository).

What is measured, with ``zhengtong.hotline.reply_quality``:

* relevance must tell a message's own reply from a reply to another message:
  every message is scored with its own reply and with the reply of another
  message of the same half (a random derangement), and the ROC AUC of the
  relevance score over the two sets is printed. The IDF table is fitted the
  way an installation fits it, on messages and replies, but cross-fitted: on
  one half of the pairs to score the other half, so that no scored text is in
  its own table. The AUC with the built-in table (no fitting) is printed too;
* the distribution of each component and of the total on the real pairs
  (cross-fitted table, times from the workbook, 15-day standard), and how
  often each hint is given;
* the five lowest- and five highest-scoring real replies, briefly, to judge by eye;
* the time to score one pair, on one core.

Human-readable lines go first; the last line is one JSON object with
``relevance_auc``, ``mean_total``, ``ms_per_pair`` and further figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

COMPONENTS = ("relevance", "completeness", "interpretability", "timeliness", "total")
SEED = 20200501


@dataclass(frozen=True, slots=True)
class Pair:
    title: str
    body: str
    reply: str
    received_at: datetime | None
    replied_at: datetime | None


def _default_data() -> Path:
    shared = os.environ.get("ZHENGTONG_SHARED_DATA") or str(ROOT.parent / "shared" / "data")
    return Path(shared) / "hotline" / "messages_with_replies.xlsx"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data", type=Path, default=_default_data(), help="messages_with_replies.xlsx"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="Seed of the halves and shuffles.")
    return parser.parse_args(argv)


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def load_pairs(path: Path) -> list[Pair]:
    """Read the workbook's pairs by column name; rows without a reply are left out."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    header = [str(cell or "").strip() for cell in next(rows)]
    column = {name: header.index(name) for name in header}
    pairs = []
    for row in rows:
        reply = str(row[column["答复意见"]] or "").strip()
        if not reply:
            continue
        pairs.append(
            Pair(
                title=str(row[column["留言主题"]] or "").strip(),
                body=str(row[column["留言详情"]] or "").strip(),
                reply=reply,
                received_at=_when(row[column["留言时间"]]),
                replied_at=_when(row[column["答复时间"]]),
            )
        )
    workbook.close()
    return pairs


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The probability that a positive outscores a negative (ties count half)."""
    ranked = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2  # ranks i+1 .. j
        rank_sum += average_rank * sum(label for _, label in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def derangement(n: int, rng: random.Random) -> list[int]:
    """A shuffle of range(n) in which no index keeps its place."""
    order = list(range(n))
    rng.shuffle(order)
    # Each index takes the next one's place in a random cycle.
    target = [0] * n
    for k in range(n):
        target[order[k]] = order[(k + 1) % n]
    return target


def _quantiles(values: Sequence[float]) -> str:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return (
        f"min {min(values):3.0f}  p10 {deciles[0]:5.1f}  p25 {quartiles[0]:5.1f}"
        f"  median {quartiles[1]:5.1f}  p75 {quartiles[2]:5.1f}  p90 {deciles[8]:5.1f}"
        f"  max {max(values):3.0f}  mean {statistics.fmean(values):5.1f}"
    )


def _short(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def run(pairs: list[Pair], seed: int) -> dict[str, object]:
    from zhengtong.hotline.reply_quality import (
        BUILTIN_IDF,
        SHORT_REPLY,
        ReplyScore,
        ReplyScorer,
        fit_idf,
    )

    rng = random.Random(seed)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    halves = [sorted(order[::2]), sorted(order[1::2])]
    scores: dict[int, ReplyScore] = {}
    relevance_true: list[float] = []
    relevance_shuffled: list[float] = []
    builtin_true: list[float] = []
    builtin_shuffled: list[float] = []
    completeness_true: list[float] = []
    completeness_shuffled: list[float] = []
    substantial: list[bool] = []
    builtin = ReplyScorer(BUILTIN_IDF)
    fit_s = 0.0
    for half, other in ((0, 1), (1, 0)):
        started = time.perf_counter()
        texts = [f"{pairs[i].title}\n{pairs[i].body}" for i in halves[other]]
        texts += [pairs[i].reply for i in halves[other]]
        scorer = ReplyScorer(fit_idf(texts))
        fit_s += time.perf_counter() - started
        members = halves[half]
        swap = derangement(len(members), rng)
        for position, i in enumerate(members):
            pair = pairs[i]
            stranger = pairs[members[swap[position]]].reply
            own = scorer.score(
                pair.title,
                pair.body,
                pair.reply,
                received_at=pair.received_at,
                replied_at=pair.replied_at,
            )
            scores[i] = own
            shuffled = scorer.score(pair.title, pair.body, stranger)
            relevance_true.append(own.relevance)
            relevance_shuffled.append(shuffled.relevance)
            substantial.append(len("".join(pair.reply.split())) >= SHORT_REPLY)
            completeness_true.append(own.completeness)
            completeness_shuffled.append(shuffled.completeness)
            builtin_true.append(builtin.score(pair.title, pair.body, pair.reply).relevance)
            builtin_shuffled.append(builtin.score(pair.title, pair.body, stranger).relevance)

    relevance_auc = roc_auc(relevance_true, relevance_shuffled)
    builtin_auc = roc_auc(builtin_true, builtin_shuffled)
    completeness_auc = roc_auc(completeness_true, completeness_shuffled)
    # The same, leaving out the pairs whose own reply is too short to answer
    # anything ("已收悉"): those are rightly scored as irrelevant.
    substantial_auc = roc_auc(
        [v for v, keep in zip(relevance_true, substantial, strict=True) if keep],
        [v for v, keep in zip(relevance_shuffled, substantial, strict=True) if keep],
    )
    print(f"pairs: {len(pairs)}  (IDF cross-fitted on halves; fitting took {fit_s:.1f} s)")
    print("(a) own reply against another message's reply, ROC AUC")
    print(f"    relevance, fitted IDF   {relevance_auc:.4f}")
    print(f"    relevance, built-in IDF {builtin_auc:.4f}")
    print(
        f"    relevance, fitted IDF, own reply of {SHORT_REPLY}+ characters"
        f" ({sum(substantial)} pairs) {substantial_auc:.4f}"
    )
    print(f"    completeness            {completeness_auc:.4f}")
    print(
        f"    relevance medians: own {statistics.median(relevance_true):.0f},"
        f" another's {statistics.median(relevance_shuffled):.0f}"
    )

    print("(b) distribution on the real pairs")
    for name in COMPONENTS:
        values = [float(getattr(score, name)) for score in scores.values()]
        print(f"    {name:16s} {_quantiles(values)}")
    hints = Counter(
        "超过办理时限 N 天" if hint.startswith("超过办理时限") else hint.split("“")[0]
        for score in scores.values()
        for hint in score.advice
    )
    print("    hints given (share of replies):")
    for hint, count in hints.most_common():
        print(f"      {count / len(scores):6.1%}  {hint}")

    ranked = sorted(scores, key=lambda i: (scores[i].total, i))
    for label, chosen in (("lowest", ranked[:5]), ("highest", ranked[-5:][::-1])):
        print(f"(c) the five {label}-scoring replies")
        for i in chosen:
            score = scores[i]
            print(
                f"    total {score.total:3d}  R{score.relevance:3d} C{score.completeness:3d}"
                f" I{score.interpretability:3d} T{score.timeliness:3d}"
                f"  [{_short(pairs[i].title, 28)}]"
            )
            print(f"        reply: {_short(pairs[i].reply, 90)}")
            print(f"        hints: {'; '.join(score.advice) or '-'}")

    # Timing: every real pair once with a table fitted on all texts, one core.
    scorer = ReplyScorer(
        fit_idf([f"{p.title}\n{p.body}" for p in pairs] + [p.reply for p in pairs])
    )
    started = time.perf_counter()
    for pair in pairs:
        scorer.score(
            pair.title,
            pair.body,
            pair.reply,
            received_at=pair.received_at,
            replied_at=pair.replied_at,
        )
    ms_per_pair = (time.perf_counter() - started) * 1000 / len(pairs)
    print(f"(d) {ms_per_pair:.3f} ms per pair")

    totals = [score.total for score in scores.values()]
    return {
        "relevance_auc": round(relevance_auc, 4),
        "relevance_auc_builtin_idf": round(builtin_auc, 4),
        "relevance_auc_substantial_replies": round(substantial_auc, 4),
        "completeness_auc": round(completeness_auc, 4),
        "mean_total": round(statistics.fmean(totals), 1),
        "mean": {
            name: round(statistics.fmean(float(getattr(s, name)) for s in scores.values()), 1)
            for name in COMPONENTS
        },
        "ms_per_pair": round(ms_per_pair, 3),
        "pairs": len(pairs),
    }


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(
            f"No data at {args.data}: pass --data PATH to messages_with_replies.xlsx"
            " or set ZHENGTONG_SHARED_DATA."
        )
    from django.conf import settings

    # The scorer marks its hints for translation; the bench needs no more of Django.
    if not settings.configured:
        settings.configure(USE_I18N=False)
    pairs = load_pairs(args.data)
    if len(pairs) < 10:
        raise SystemExit(f"{args.data} holds only {len(pairs)} pairs with a reply.")
    figures = run(pairs, args.seed)
    figures.update(python=platform.python_version(), cores=os.cpu_count())
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
