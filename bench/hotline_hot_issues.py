"""Mine the hot issues of the real hotline messages with votes and print what was found.

    python bench/hotline_hot_issues.py [--data PATH] [--top 10]

``--data`` is the challenge's ``messages_with_votes.xlsx`` (columns 留言编号,
留言用户, 留言主题, 留言时间, 留言详情, 反对数, 点赞数); by default it is read
from the shared data directory. The script runs ``mine_hot_issues`` once over a
window that spans the whole file and prints the top issues with their place,
dates, counts and three message titles each, and the rank of the challenge's
example issue (A5区魅力之城小区 油烟噪音扰民) with all its messages; then one window per
calendar month, printing each month's three hottest issues and the issues whose
heat jumped against the month before (``heat_jumps``).

Human-readable lines go first; the last line is one JSON object with the
figures: ``top_labels``, ``seconds`` (the whole-file run), ``messages``,
``issues`` (all issues of two or more messages), ``example_rank`` (the rank of
the first issue whose place holds ``--example``), ``month_seconds`` and
``alerts`` (heat jumps summed over the months).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# Run as ``python bench/<name>.py``: make the package importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from zhengtong.hotline.hot_issues import (
    HotIssue,
    MessageForMining,
    heat_jumps,
    mine_hot_issues,
)

# The shared data directory: ZHENGTONG_SHARED_DATA, else ../shared/data beside the repository.
DEFAULT_DATA = (
    Path(
        os.environ.get("ZHENGTONG_SHARED_DATA")
        or Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    / "hotline"
    / "messages_with_votes.xlsx"
)
COLUMNS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="messages_with_votes.xlsx")
    parser.add_argument("--top", type=int, default=10, help="How many issues to print.")
    parser.add_argument(
        "--example",
        default="魅力之城",
        help="A place of the challenge's example issue, to report its rank.",
    )
    return parser.parse_args(argv)


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    text = str(value).strip().replace("-", "/")
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    raise ValueError(f"unreadable time {value!r}")


def read_messages(path: Path) -> list[MessageForMining]:
    """Read the xlsx into messages; the user id becomes the author."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    header = [str(cell).strip() for cell in next(rows)]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise SystemExit(f"{path}: missing columns {', '.join(missing)}")
    at = {name: header.index(name) for name in COLUMNS}
    messages = []
    for row in rows:
        if row[at["留言编号"]] is None:
            continue
        messages.append(
            MessageForMining(
                key=str(row[at["留言编号"]]),
                title=str(row[at["留言主题"]] or ""),
                body=str(row[at["留言详情"]] or ""),
                created_at=_when(row[at["留言时间"]]),
                supporters=int(row[at["点赞数"]] or 0),
                opposers=int(row[at["反对数"]] or 0),
                author=str(row[at["留言用户"]] or ""),
            )
        )
    workbook.close()
    return messages


def _print_issue(rank: int, issue: HotIssue, titles: dict[str, str], every: bool = False) -> None:
    print(
        f"{rank:2}. {issue.label}   heat {issue.heat:.1f}\n"
        f"    place {issue.place or '-'} | {issue.first_at:%Y-%m-%d} … {issue.last_at:%Y-%m-%d}"
        f" | {issue.message_count} messages, {issue.supporters} supporters,"
        f" growth {issue.growth:+.2f} | keywords {' '.join(issue.keywords)}"
    )
    for key in issue.message_keys if every else issue.message_keys[:3]:
        print(f"      {key} {titles[key][:60]}")


def _months(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    months = []
    start = datetime(first.year, first.month, 1)
    while start <= last:
        following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
        months.append((start, following))
        start = following
    return months


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(
            f"No data at {args.data}: pass --data PATH to messages_with_votes.xlsx "
            "(the 2020 Teddy Cup problem C hot-issue file)."
        )
    messages = read_messages(args.data)
    titles = {message.key: message.title for message in messages}
    first = min(message.created_at for message in messages)
    last = max(message.created_at for message in messages)
    print(f"{len(messages)} messages, {first:%Y-%m-%d} … {last:%Y-%m-%d}")

    began = time.perf_counter()
    ranked = mine_hot_issues(
        messages, now=last, window=last - first + timedelta(seconds=1), limit=len(messages)
    )
    seconds = time.perf_counter() - began
    issues = ranked[: args.top]
    print(f"\nTop {len(issues)} of {len(ranked)} issues over the whole file ({seconds:.2f} s):")
    for rank, issue in enumerate(issues, 1):
        _print_issue(rank, issue, titles)
    example_rank = next(
        (rank for rank, issue in enumerate(ranked, 1) if args.example in issue.place), None
    )
    if example_rank is not None:
        print(f"\nThe example issue ({args.example}) ranks {example_rank}:")
        _print_issue(example_rank, ranked[example_rank - 1], titles, every=True)

    print("\nPer month (three hottest; ! marks a heat jump against the month before):")
    month_seconds = 0.0
    alerts = 0
    previous: list[HotIssue] = []
    for start, end in _months(first, last):
        inside = [m for m in messages if start <= m.created_at < end]
        if len(inside) < 50:
            continue
        began = time.perf_counter()
        current = mine_hot_issues(
            messages, now=end - timedelta(microseconds=1), window=end - start, limit=50
        )
        month_seconds += time.perf_counter() - began
        jumped = {id(issue) for issue, _ in heat_jumps(previous, current)}
        alerts += len(jumped)
        shown = ", ".join(
            f"{'!' if id(issue) in jumped else ''}{issue.label} ({issue.message_count}/"
            f"{issue.heat:.0f})"
            for issue in current[:3]
        )
        print(f"  {start:%Y-%m} ({len(inside)} msgs, {len(jumped)} jumps): {shown}")
        previous = current

    print(
        json.dumps(
            {
                "top_labels": [issue.label for issue in issues],
                "seconds": round(seconds, 3),
                "messages": len(messages),
                "issues": len(ranked),
                "example_rank": example_rank,
                "month_seconds": round(month_seconds, 3),
                "alerts": alerts,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
