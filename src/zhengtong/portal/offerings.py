"""What each audience's entry page offers, and which of it is open today.

An offering names the URL of the page that provides it. Until the app that
provides it is installed and defines that URL, the card says "即将开通"
instead of linking to nowhere; once the URL exists, the card links to it.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.identity.permissions import has_permission
from zhengtong.portal.entries import safe_reverse


@dataclass(frozen=True, slots=True)
class Offering:
    title: str | Promise
    description: str | Promise
    url_name: str
    # Shown only to users holding at least one of these (none: shown to all).
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OfferingCard:
    title: str | Promise
    description: str | Promise
    # Empty while the offering is not yet available.
    url: str

    @property
    def available(self) -> bool:
        return bool(self.url)


# Open to everyone, logged in or not: the home page lists them, so a visitor
# finds the guides (一次告知), the 12345 form and the public registers
# without an account.
PUBLIC_OFFERINGS: tuple[Offering, ...] = (
    Offering(
        _("办事指南"),
        _("每个事项的受理条件、所需材料、办理流程、收费和承诺时限，一次告知。"),
        "eservices:guides",
    ),
    Offering(
        _("12345 我要反映"),
        _("反映诉求、提出建议，可以匿名；凭查询码查看办理进度和答复。"),
        "hotline:submit",
    ),
    Offering(
        _("政务信息资源目录"),
        _("各部门掌握哪些数据、按什么条件共享和开放。"),
        "catalog:browse",
    ),
    Offering(
        _("共享负面清单"),
        _("不予共享的数据项及其法律依据、范围和复核日期。"),
        "catalog:negative_list",
    ),
    Offering(
        _("严重失信主体名单"),
        _("列入名单的企业、认定依据和期限。"),
        "regulation:dishonesty_list",
    ),
    Offering(
        _("信用评价方法"),
        _("企业信用等级的评分规则，每一项加减分都有说明。"),
        "regulation:credit_scorecard",
    ),
    Offering(
        _("双随机抽查公示"),
        _("抽查任务、可验证的抽取结果和检查结果。"),
        "regulation:public_inspections",
    ),
)

CITIZEN_OFFERINGS: tuple[Offering, ...] = (
    Offering(
        _("办事指南"),
        _("每个事项的受理条件、所需材料、办理流程和承诺时限。"),
        "eservices:guides",
    ),
    Offering(
        _("在线申请"),
        _("在线填写表单、上传材料，已有的证照和信息自动带入，少填少交。"),
        "eservices:apply",
    ),
    Offering(
        _("我的办件"),
        _("查看申请的受理、审核和办结进度，按要求补正材料。"),
        "eservices:my_applications",
    ),
    Offering(
        _("电子证照"),
        _("查看和出示办结后签发的电子证照，可扫码核验。"),
        "licences:mine",
    ),
    Offering(
        _("12345 我要反映"),
        _("反映诉求、提出建议，可匿名、可附照片，按时限答复，可评价满意度。"),
        "hotline:submit",
    ),
    Offering(
        _("我的 12345 诉求"),
        _("查看诉求的办理进度和答复，对答复作出评价。"),
        "hotline:mine",
    ),
    Offering(
        _("我的数据使用记录"),
        _("哪个部门、为了什么事项、在什么时间使用了我的数据。"),
        "exchange:my_data_uses",
    ),
    Offering(
        _("信用公示"),
        _("严重失信主体名单，以及企业信用等级的评定方法。"),
        "regulation:dishonesty_list",
    ),
    Offering(
        _("双随机抽查公示"),
        _("抽查任务、可验证的抽取结果和检查结果。"),
        "regulation:public_inspections",
    ),
    Offering(
        _("我的资料"),
        _("账号和实名信息（脱敏显示）。"),
        "portal:profile",
    ),
)

ENTERPRISE_OFFERINGS: tuple[Offering, ...] = (
    Offering(
        _("办事指南"),
        _("企业开办、经营许可、变更注销等事项的条件、材料和时限。"),
        "eservices:guides",
    ),
    Offering(
        _("在线申请"),
        _("以企业身份在线申请，登记信息从企业登记库自动带入。"),
        "eservices:apply",
    ),
    Offering(
        _("我的办件"),
        _("查看企业申请的办理进度，按要求补正材料。"),
        "eservices:my_applications",
    ),
    Offering(
        _("电子证照"),
        _("企业的电子营业执照和许可证，可扫码核验。"),
        "licences:mine",
    ),
    # One page holds all the regulator knows of the enterprise; the card names
    # each part, so an enterprise looking for its alarms or a credit repair finds it.
    Offering(
        _("信用与监管"),
        _("信用等级、信用记录和信用修复，在线监测及报警，监督检查结果。"),
        "regulation:my_credit",
    ),
    Offering(
        _("12345 留言"),
        _("反映经营中遇到的问题和诉求，按时限答复。"),
        "hotline:submit",
    ),
    Offering(
        _("企业数据使用记录"),
        _("哪个部门、为了什么事项使用了企业的登记数据。"),
        "exchange:my_data_uses",
    ),
)

WORKBENCH_OFFERINGS: tuple[Offering, ...] = (
    Offering(
        _("待办事项"),
        _("受理、审核、决定和补正，按工作日计算办理时限。"),
        "eservices:worklist",
        (
            "eservices.accept_applications",
            "eservices.review_applications",
            "eservices.decide_applications",
            "eservices.respond_ratings",
        ),
    ),
    Offering(
        _("已签发证照"),
        _("查询本部门签发的电子证照，说明原因注销失效的证照。"),
        "licences:issued",
        ("licences.revoke_licences",),
    ),
    Offering(
        _("12345 来电登记"),
        _("登记来电诉求，查看模型给出的分拨建议。"),
        "hotline:call_new",
        ("hotline.enter_calls",),
    ),
    Offering(
        _("12345 派单"),
        _("模型没有把握的诉求人工派单，审批延期，催办督办超期工单。"),
        "hotline:dispatch",
        ("hotline.dispatch",),
    ),
    Offering(
        _("12345 工单"),
        _("分派到本部门的群众诉求，按时限签收、办理和答复。"),
        "hotline:worklist",
        ("hotline.handle", "hotline.supervise"),
    ),
    Offering(
        _("12345 分拨模型"),
        _("训练、评估、启用和回滚自动分拨模型。"),
        "hotline:models",
        ("hotline.manage_routing",),
    ),
    Offering(
        _("12345 诉求统计与热点"),
        _("按类别、区县和日期的诉求量，满意度和热点问题。"),
        "hotline:overview",
        ("hotline.view_overview",),
    ),
    Offering(
        _("在线监控"),
        _("辖区排污单位的自动监测数据，超标、离线和数据异常报警的确认和关闭。"),
        "regulation:monitoring",
        ("regulation.monitor",),
    ),
    Offering(
        _("企业信用"),
        _("企业信用记录和等级，登记行政处罚等信用信息，认定和移出严重失信主体。"),
        "regulation:credit_list",
        ("regulation.manage_credit",),
    ),
    Offering(
        _("信用修复审核"),
        _("审核企业提交的信用修复申请。"),
        "regulation:repairs",
        ("regulation.manage_credit",),
    ),
    Offering(
        _("双随机抽查"),
        _("检查人员名录、抽查任务的公告和抽取、检查结果的录入。"),
        "regulation:inspection_tasks",
        ("regulation.run_inspections",),
    ),
    Offering(
        _("政务信息资源目录"),
        _("本部门资源的编目、提交、审核和发布，负面清单和开放目录。"),
        "catalog:workbench",
        ("catalog.edit_resources", "catalog.review"),
    ),
    Offering(
        _("数据共享申请"),
        _("申请使用其他部门的数据，答复对本部门资源的使用申请，管理授权。"),
        "exchange:requests",
        ("exchange.manage_access", "catalog.review"),
    ),
    Offering(
        _("共享数据托管"),
        _("上传本部门资源的数据（CSV、XLSX），查看校验报告和版本。"),
        "exchange:datasets",
        ("catalog.edit_resources",),
    ),
    Offering(
        _("数据质量"),
        _("各部门托管数据的完整性、有效性、及时性和重复情况。"),
        "exchange:quality_overview",
        ("catalog.review",),
    ),
    Offering(
        _("舆情预警"),
        _("与本部门和本地区有关的舆情分级预警。"),
        "opinion:alerts",
    ),
    Offering(
        _("决策看板"),
        _("跨部门的指标、趋势和预测。"),
        "insight:dashboard",
    ),
)


def cards(
    offerings: tuple[Offering, ...], user: AbstractBaseUser | AnonymousUser | None = None
) -> list[OfferingCard]:
    """Return the offerings the user may use as cards, linked where the page exists."""
    return [
        OfferingCard(o.title, o.description, safe_reverse(o.url_name))
        for o in offerings
        if not o.permissions or any(has_permission(user, p) for p in o.permissions)
    ]
