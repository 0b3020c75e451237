"""``ledger_verify`` finds tampering, names the first tampered entry, and says how."""

import signal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from zhengtong.core.actors import Actor
from zhengtong.ledger import merkle
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.encoding import leaf_data, node_id, pack_hashes
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.tests.cast import append, raw_sql, triggers_off
from zhengtong.ledger.verify import (
    DELETED,
    EDITED,
    HEAD,
    INSERTED,
    NODE,
    REORDERED,
    SIGNED_TREE_HEAD,
    TRIGGERS,
    Report,
    verify_ledger,
)

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
SIZE = 12
INSERT_NODE = 'INSERT INTO ledger_ledgernode (id, level, "index", hash) VALUES (%s, %s, %s, %s)'


@pytest.fixture
def ledger() -> None:
    """Twelve entries, sealed at 8 and at 12."""
    append(8)
    do_seal_ledger(actor=SYSTEM)
    append(4, action="core.register_enterprise", subject_type="core.Enterprise")
    do_seal_ledger(actor=SYSTEM)


def _verify() -> tuple[str, str]:
    """Run the command (small chunks, to cross chunk edges); return (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    with translation.override("zh-hans"):
        call_command("ledger_verify", chunk_size=5, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused() -> tuple[CommandError, str]:
    err = StringIO()
    with pytest.raises(CommandError) as failure, translation.override("zh-hans"):
        call_command("ledger_verify", chunk_size=5, stdout=StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return failure.value, err.getvalue()


def _first(report: Report) -> tuple[str, int | None]:
    finding = report.first_entry_finding
    assert finding is not None, report.findings
    return finding.kind, finding.seq


def _leaf_of(seq: int, action: str) -> bytes:
    entry = LedgerEntry.objects.get(seq=seq)
    return merkle.leaf_hash(
        leaf_data(
            seq,
            entry.recorded_at,
            entry.actor_ref,
            entry.actor_label,
            action,
            entry.subject_type,
            entry.subject_id,
            bytes(entry.data_hash),
        )
    )


def test_an_intact_ledger_verifies(ledger: None) -> None:
    out, err = _verify()
    assert "已校验 12 条记录" in out
    assert "审计日志完整。" in out
    assert err == ""
    report = verify_ledger(chunk_size=5)
    assert report.ok
    assert (report.entries_checked, report.signed_tree_heads_checked) == (SIZE, 2)
    # 12 leaves, 6 pairs, 3 quads, 1 eight.
    assert report.nodes_checked == 12 + 6 + 3 + 1


def test_an_empty_ledger_verifies(db: None) -> None:
    assert verify_ledger().ok


def test_it_finds_an_edited_entry(ledger: None) -> None:
    with triggers_off():
        raw_sql([("UPDATE ledger_ledgerentry SET action = %s WHERE seq = %s", ("core.x", 5))])
    error, err = _refused()
    assert "edited" in str(error) and "5" in str(error)
    assert "edited: 第 5 条记录被修改。" in err
    report = verify_ledger(chunk_size=5)
    assert _first(report) == (EDITED, 5)
    # The attacker's way in is reported too.
    assert TRIGGERS in {f.kind for f in report.findings}


def test_it_finds_an_entry_edited_together_with_its_hash(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                (
                    "UPDATE ledger_ledgerentry SET action = %s, leaf_hash = %s WHERE seq = %s",
                    ("core.x", _leaf_of(9, "core.x"), 9),
                )
            ]
        )
    assert _first(verify_ledger(chunk_size=5)) == (EDITED, 9)


def test_it_finds_a_deleted_entry(ledger: None) -> None:
    with triggers_off():
        raw_sql([("DELETE FROM ledger_ledgerentry WHERE seq = %s", (5,))])
    error, _err = _refused()
    assert "deleted" in str(error)
    assert _first(verify_ledger(chunk_size=5)) == (DELETED, 5)


def test_it_finds_a_deleted_entry_whose_gap_was_closed(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                ("DELETE FROM ledger_ledgerentry WHERE seq = %s", (3,)),
                ("UPDATE ledger_ledgerentry SET seq = -seq WHERE seq > %s", (3,)),
                ("UPDATE ledger_ledgerentry SET seq = -seq - 1 WHERE seq < %s", (0,)),
            ]
        )
    assert LedgerEntry.objects.count() == SIZE - 1
    assert _first(verify_ledger(chunk_size=5)) == (DELETED, 3)


def test_it_finds_deleted_entries_at_the_end(ledger: None) -> None:
    with triggers_off():
        raw_sql([("DELETE FROM ledger_ledgerentry WHERE seq >= %s", (10,))])
    assert _first(verify_ledger(chunk_size=5)) == (DELETED, 10)


def _insert(seq: int, action: str) -> tuple[str, tuple[object, ...]]:
    now = timezone.now()
    data_hash = merkle.SHA256.digest(b"{}")
    leaf = merkle.leaf_hash(
        leaf_data(seq, now, "user:666", "某人", action, "core.Person", "1", data_hash)
    )
    return (
        "INSERT INTO ledger_ledgerentry (seq, recorded_at, actor_ref, actor_label, action,"
        " subject_type, subject_id, data_hash, leaf_hash)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (seq, now, "user:666", "某人", action, "core.Person", "1", data_hash, leaf),
    )


def test_it_finds_an_entry_inserted_at_the_end(ledger: None) -> None:
    raw_sql([_insert(SIZE, "core.forged")])
    error, _err = _refused()
    assert "inserted" in str(error)
    assert _first(verify_ledger(chunk_size=5)) == (INSERTED, SIZE)


def test_it_finds_an_entry_inserted_in_the_middle(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                ("UPDATE ledger_ledgerentry SET seq = -seq WHERE seq >= %s", (6,)),
                ("UPDATE ledger_ledgerentry SET seq = -seq + 1 WHERE seq <= %s", (-6,)),
                _insert(6, "core.forged"),
            ]
        )
    assert LedgerEntry.objects.count() == SIZE + 1
    assert _first(verify_ledger(chunk_size=5)) == (INSERTED, 6)


def test_it_finds_reordered_entries(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                ("UPDATE ledger_ledgerentry SET seq = -1 WHERE seq = %s", (4,)),
                ("UPDATE ledger_ledgerentry SET seq = 4 WHERE seq = %s", (7,)),
                ("UPDATE ledger_ledgerentry SET seq = 7 WHERE seq = %s", (-1,)),
            ]
        )
    error, _err = _refused()
    assert "reordered" in str(error)
    report = verify_ledger(chunk_size=5)
    assert _first(report) == (REORDERED, 4)
    assert report.first_entry_finding is not None
    assert report.first_entry_finding.detail == {"belongs_at": 7}


def test_it_finds_neighbours_swapped(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                ("UPDATE ledger_ledgerentry SET seq = -1 WHERE seq = %s", (10,)),
                ("UPDATE ledger_ledgerentry SET seq = 10 WHERE seq = %s", (11,)),
                ("UPDATE ledger_ledgerentry SET seq = 11 WHERE seq = %s", (-1,)),
            ]
        )
    assert _first(verify_ledger(chunk_size=5)) == (REORDERED, 10)


def test_it_finds_an_entry_inserted_far_beyond_the_end(ledger: None) -> None:
    raw_sql([_insert(10**12, "core.forged")])
    assert _first(verify_ledger(chunk_size=5)) == (INSERTED, 10**12)


def test_a_changed_leaf_node_is_not_blamed_on_its_entry(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [("UPDATE ledger_ledgernode SET hash = %s WHERE id = %s", (bytes(32), node_id(0, 4)))]
        )
    report = verify_ledger(chunk_size=5)
    assert report.first_entry_finding is None
    assert [(f.kind, f.seq) for f in report.findings if f.kind != TRIGGERS] == [(NODE, 4)]


def test_it_finds_a_changed_subtree_hash(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [("UPDATE ledger_ledgernode SET hash = %s WHERE id = %s", (bytes(32), node_id(2, 1)))]
        )
    report = verify_ledger(chunk_size=5)
    assert report.first_entry_finding is None
    assert NODE in {f.kind for f in report.findings}
    error, _err = _refused()
    assert "未通过" in str(error)


def test_it_finds_a_moved_head(ledger: None) -> None:
    raw_sql([("UPDATE ledger_ledgerhead SET tree_size = %s", (SIZE - 1,))])
    assert HEAD in {f.kind for f in verify_ledger(chunk_size=5).findings}


def test_it_finds_a_forged_signature(ledger: None) -> None:
    with triggers_off():
        raw_sql(
            [
                (
                    "UPDATE ledger_signedtreehead SET signature = %s WHERE tree_size = %s",
                    (bytes(64), 8),
                )
            ]
        )
    findings = verify_ledger(chunk_size=5).findings
    assert [f.detail["tree_size"] for f in findings if f.kind == SIGNED_TREE_HEAD] == [8]


def test_signed_heads_catch_a_log_rewritten_with_its_whole_tree(ledger: None) -> None:
    # The attacker edits entry 2, recomputes its hash, every subtree and the
    # head: only the signed tree heads, which need the key, still disagree.
    leaves = [bytes(h) for h in LedgerEntry.objects.values_list("leaf_hash", flat=True)]
    leaves[2] = _leaf_of(2, "core.x")
    frontier = merkle.MerkleFrontier()
    nodes = [n for leaf in leaves for n in frontier.append(leaf)]
    with triggers_off():
        raw_sql(
            [
                (
                    "UPDATE ledger_ledgerentry SET action = %s, leaf_hash = %s WHERE seq = %s",
                    ("core.x", leaves[2], 2),
                ),
                ("DELETE FROM ledger_ledgernode", ()),
                *[
                    (
                        INSERT_NODE,
                        (node_id(level, index), level, index, h),
                    )
                    for level, index, h in nodes
                ],
                (
                    "UPDATE ledger_ledgerhead SET root_hash = %s, frontier = %s",
                    (frontier.root(), pack_hashes(frontier.hashes)),
                ),
            ]
        )
    report = verify_ledger(chunk_size=5)
    assert report.first_entry_finding is None
    mismatched = [f.detail["tree_size"] for f in report.findings if f.kind == SIGNED_TREE_HEAD]
    assert mismatched == [8, 12]


def test_missing_triggers_fail_the_check(ledger: None) -> None:
    with triggers_off():
        pass
    report = verify_ledger()
    assert [f.kind for f in report.findings] == [TRIGGERS]


def test_heads_signed_with_an_earlier_key_need_that_key_trusted(
    ledger: None, settings: Settings, tmp_path: Path
) -> None:
    old_key = settings.LEDGER_SIGNING_KEY_FILE
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "new" / "key.pem"
    report = verify_ledger()
    assert {f.kind for f in report.findings} == {SIGNED_TREE_HEAD}
    _refused()
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("ledger_verify", trusted_key=[str(old_key)], stdout=out)
    assert "审计日志完整。" in out.getvalue()


def test_verifying_creates_no_signing_key(ledger: None, settings: Settings, tmp_path: Path) -> None:
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "elsewhere" / "key.pem"
    report = verify_ledger()
    assert not (tmp_path / "elsewhere" / "key.pem").exists()
    assert {f.kind for f in report.findings} == {SIGNED_TREE_HEAD}


@pytest.mark.parametrize("when", [5, 12])
def test_entries_appended_while_it_runs_are_no_finding(ledger: None, when: int) -> None:
    # The log is checked while the platform keeps working: an action (and a
    # seal) committed meanwhile is growth, not tampering.
    def keep_working(position: int) -> None:
        if position == when:
            append(3, action="core.register_enterprise", subject_type="core.Enterprise")
            do_seal_ledger(actor=SYSTEM)

    report = verify_ledger(chunk_size=5, progress=keep_working)
    assert report.findings == []
    assert report.entries_checked == SIZE + 3
    assert report.tree_size == SIZE + 3


def test_an_entry_inserted_beyond_a_growing_log_is_still_found(ledger: None) -> None:
    def keep_working(position: int) -> None:
        if position == 5:
            append(3)

    raw_sql([_insert(SIZE + 5, "core.forged")])
    report = verify_ledger(chunk_size=5, progress=keep_working)
    assert _first(report) == (INSERTED, SIZE + 5)


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_chunk_size_below_one_is_refused_rather_than_looping(ledger: None, size: str) -> None:
    # Without the check, a chunk of no entries never moved on: the command hung.
    def hung(signum: int, frame: object) -> None:
        raise AssertionError("ledger_verify did not finish")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with pytest.raises(CommandError, match="chunk-size"):
            call_command("ledger_verify", "--chunk-size", size, stdout=StringIO())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_trusted_key_that_cannot_be_read_is_a_command_error(ledger: None, tmp_path: Path) -> None:
    not_a_key = tmp_path / "notes.pem"
    not_a_key.write_text("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
    for path in (tmp_path / "missing.pem", not_a_key):
        with pytest.raises(CommandError, match=path.name):
            call_command("ledger_verify", "--trusted-key", str(path), stdout=StringIO())
