"""The demo city's licences: issued once, each one genuine."""

from io import StringIO

from django.core.management import call_command

from zhengtong.core.actors import Actor
from zhengtong.core.testing import make_credit_code
from zhengtong.demo import city
from zhengtong.licences.demo import load_demo_licences
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import licences_of_holder, verify_licence

ACTOR = Actor.system("test")


def test_the_demo_licences_are_issued_once_and_verify(db: None) -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    # load_demo issued them: a business licence per enterprise, the restaurant's
    # food licence and 张三's pension certificate; a second load issues none.
    assert f"licences: {len(city.ENTERPRISES) + 2} issued" in out.getvalue()
    assert load_demo_licences(actor=ACTOR) == 0
    assert Licence.objects.count() == len(city.ENTERPRISES) + 2
    for item in city.ENTERPRISES:
        held = licences_of_holder(make_credit_code(item.region_code, item.seq))
        types = sorted(licence.licence_type.code for licence in held)
        expected = ["business_licence"]
        if item.name == "长沙市芙蓉区湘味小厨餐饮店":
            expected = ["business_licence", "food_business_licence"]
        assert types == expected, item.name
        assert all(verify_licence(licence).status == "valid" for licence in held)
