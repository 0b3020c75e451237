"""Two administrators end one post at once: it ends once, with one ledger entry.

Both requests read the post as active from the list; ``do_end_post`` locks
the row and decides under the lock, so the one that comes second sees it
ended. The interleaving is forced: the first holds the row until the second
has read the list, and the second asks for the row only once the first holds
it. SQLite serialises every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity import actions
from zhengtong.identity.actions import do_assign_post, do_create_staff
from zhengtong.identity.models import StaffPost
from zhengtong.identity.tests.cast import PASSWORD, Cast, make_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT_S = 20


@pytest.fixture
def cast() -> Cast:
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")
    return make_cast()


def test_two_administrators_ending_one_post_at_once_end_it_once(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = do_assign_post(cast.lisi, cast.county_bureau, "reviewer", actor=TEST_ACTOR)
    colleague = do_create_staff(
        "wujiu", PASSWORD, "吴九", cast.county_bureau, ["administrator"], actor=TEST_ACTOR
    )
    first_holds_post, second_read_list = threading.Event(), threading.Event()
    real_lock = actions._lock_post

    def lock_in_turn(locked: StaffPost) -> StaffPost:
        if threading.current_thread().name != "first":
            # The second request found the post active in its list, as the first did.
            second_read_list.set()
            first_holds_post.wait(WAIT_S)
            return real_lock(locked)
        held = real_lock(locked)
        first_holds_post.set()
        second_read_list.wait(WAIT_S)
        # Hold the row while the other request asks for it.
        time.sleep(0.3)
        return held

    monkeypatch.setattr(actions, "_lock_post", lock_in_turn)
    pages: dict[str, str] = {}

    def run(name: str) -> None:
        browser = Client()
        browser.force_login(cast.admin if name == "first" else colleague)
        try:
            response = browser.post(
                reverse("admin:identity_staffpost_changelist"),
                {"action": "end_posts", "_selected_action": [post.pk]},
                follow=True,
            )
            pages[name] = f"{response.status_code} {response.content.decode()}"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(name,), name=name) for name in ("first", "second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)

    assert pages["first"].startswith("200 ") and "已结束1个岗位。" in pages["first"]
    assert pages["second"].startswith("200 ")
    assert "1个岗位已由他人结束，本次未重复结束。" in pages["second"]
    assert not StaffPost.objects.get(pk=post.pk).is_active
    ended = LedgerEntry.objects.filter(action="identity.end_post", subject_id=str(cast.lisi.pk))
    assert ended.count() == 1
