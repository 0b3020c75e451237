from django.contrib.auth.models import AnonymousUser

from zhengtong.core.actors import Actor
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User
from zhengtong.identity.tests.cast import Cast


def test_a_user_acts_under_the_display_name(cast: Cast) -> None:
    assert actor_of(cast.lisi) == Actor(kind="user", id=str(cast.lisi.pk), label="李四")


def test_a_citizen_acts_under_the_masked_name(cast: Cast) -> None:
    assert actor_of(cast.zhangsan).label == "张*"


def test_a_user_without_display_name_acts_under_the_username(cast: Cast) -> None:
    User.objects.filter(pk=cast.lisi.pk).update(display_name="")
    assert actor_of(User.objects.get(pk=cast.lisi.pk)).label == "lisi"


def test_a_client_acts_under_its_key_id_and_department(cast: Cast) -> None:
    assert actor_of(cast.client) == Actor(
        kind="client", id=cast.client.key_id, label="食品经营许可系统（芙蓉区市场监管局）"
    )


def test_nobody_acts_as_the_anonymous_system_actor() -> None:
    assert actor_of(None) == Actor.system("anonymous")
    assert actor_of(AnonymousUser()) == Actor.system("anonymous")
