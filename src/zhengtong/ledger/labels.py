"""Readable names for what ledger entries record: their actions and the kinds of their subjects.

An entry keeps the action's code (``identity.assign_post``), which is what the
leaf hash covers and what auditors search by; the audit page shows the name
beside it. An app that records a new action adds its name here or calls
``define_action_label`` from its own module; an action without a name is
shown by its code.

The subject's kind is named by its model's ``verbose_name`` (``core.Person``
is 自然人), so it needs no table.
"""

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {}


def define_action_label(code: str, label: str | Promise) -> str:
    """Name an action code for the audit page and return the code."""
    existing = ACTION_LABELS.get(code)
    if existing is not None and existing != label:
        raise ValueError(f"action {code!r} is already named differently")
    ACTION_LABELS[code] = label
    return code


def action_label(code: str) -> str:
    """Return the action's name in the active language, or its code when it has none."""
    label = ACTION_LABELS.get(code)
    return code if label is None else str(label)


def subject_type_label(subject_type: str) -> str:
    """Return the name of the subject's kind in the active language, or the type as recorded."""
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        return subject_type
    return str(model._meta.verbose_name)


for _code, _label in (
    # Regions, departments, people and enterprises.
    ("core.load_regions", _("导入行政区划")),
    ("core.register_department", _("登记部门")),
    ("core.register_person", _("登记自然人")),
    ("core.register_enterprise", _("登记企业")),
    ("core.record_holiday_arrangement", _("录入节假日安排")),
    # Accounts, posts, roles and G2G clients.
    ("identity.create_citizen", _("开设个人账户")),
    ("identity.create_enterprise_user", _("开设企业账户")),
    ("identity.create_staff", _("开设工作人员账户")),
    ("identity.assign_post", _("分配岗位")),
    ("identity.end_post", _("结束岗位")),
    ("identity.set_role_permissions", _("修改角色权限")),
    ("identity.activate_user", _("启用账户")),
    ("identity.deactivate_user", _("停用账户")),
    ("identity.change_password", _("修改密码")),
    ("identity.issue_client", _("登记接入系统")),
    ("identity.rotate_client_secret", _("更换接入系统密钥")),
    ("identity.revoke_client", _("吊销接入系统")),
    ("identity.log_in", _("登录")),
    ("identity.refuse_log_in", _("登录失败")),
    ("identity.refuse_change_password", _("修改密码失败")),
    ("identity.log_out", _("退出登录")),
    ("identity.purge_login_failures", _("清理登录失败记录")),
    # The data catalogue.
    ("catalog.create_resource", _("编制目录")),
    ("catalog.update_resource", _("修改目录")),
    ("catalog.import_resources", _("批量导入目录")),
    ("catalog.submit_resource", _("提交目录审核")),
    ("catalog.review_resource", _("审核通过目录")),
    ("catalog.return_resource", _("退回目录")),
    ("catalog.publish_resource", _("发布目录")),
    ("catalog.retire_resource", _("停用目录")),
    ("catalog.review_negative_line", _("复核负面清单")),
    ("catalog.open_revision", _("申请目录变更")),
    ("catalog.update_revision", _("修改目录变更")),
    ("catalog.submit_revision", _("提交目录变更")),
    ("catalog.discard_revision", _("撤销目录变更")),
    ("catalog.return_revision", _("退回目录变更")),
    ("catalog.apply_revision", _("目录变更生效")),
    # Online services.
    ("eservices.create_service_item", _("编制办事事项")),
    ("eservices.update_service_item", _("修改办事事项")),
    ("eservices.publish_service_item", _("发布办事事项")),
    ("eservices.suspend_service_item", _("暂停办事事项")),
    ("eservices.create_application", _("创建办件")),
    ("eservices.update_application", _("修改办件")),
    ("eservices.upload_material", _("上传申请材料")),
    ("eservices.promise_material", _("承诺补交材料")),
    ("eservices.submit_application", _("提交办件")),
    ("eservices.withdraw_application", _("撤回办件")),
    ("eservices.delete_draft", _("删除办件草稿")),
    ("eservices.claim_task", _("认领办件环节")),
    ("eservices.release_task", _("放弃认领办件环节")),
    ("eservices.complete_task", _("办结办件环节")),
    ("eservices.request_correction", _("要求补正材料")),
    ("eservices.add_correction", _("补充补正要求")),
    ("eservices.submit_correction", _("提交补正材料")),
    ("eservices.start_special_procedure", _("启动特别程序")),
    ("eservices.end_special_procedure", _("结束特别程序")),
    ("eservices.rate_application", _("评价办件")),
    ("eservices.respond_to_rating", _("整改差评")),
    ("eservices.refresh_time_limits", _("更新办理时限")),
    ("eservices.flag_overdue_promises", _("标记容缺材料逾期")),
    ("eservices.flag_overdue_rectifications", _("标记差评整改逾期")),
    ("eservices.mark_notifications_read", _("标记通知已读")),
    ("eservices.record_process_version", _("记录流程版本")),
    # Data sharing.
    ("exchange.apply_for_access", _("申请共享数据")),
    ("exchange.withdraw_application", _("撤回共享申请")),
    ("exchange.grant_access", _("同意共享申请")),
    ("exchange.refuse_access", _("拒绝共享申请")),
    ("exchange.revoke_grant", _("撤销共享授权")),
    ("exchange.change_grant_terms", _("变更共享授权条件")),
    ("exchange.register_hosted_dataset", _("登记托管数据集")),
    ("exchange.register_proxied_dataset", _("登记代理数据集")),
    ("exchange.change_proxied_dataset", _("修改代理数据集的接口设置")),
    ("exchange.remove_proxied_dataset", _("断开代理数据集的部门接口")),
    ("exchange.load_dataset", _("导入数据集")),
    ("exchange.delete_records", _("删除数据记录")),
    ("exchange.measure_quality", _("检测数据质量")),
    ("exchange.look_up", _("查询共享数据")),
    ("exchange.batch_look_up", _("批量查询共享数据")),
    ("exchange.verify", _("核验共享数据")),
    ("exchange.read_changes", _("读取数据变更")),
    ("exchange.read_dataset_changes", _("读取数据集变更记录")),
    ("exchange.recount_answer_deadlines", _("重算共享申请答复期限")),
    # The 12345 hotline.
    ("hotline.submit_case", _("登记诉求")),
    ("hotline.dispatch_case", _("派发工单")),
    ("hotline.sign_case", _("签收工单")),
    ("hotline.return_case", _("退回工单")),
    ("hotline.recall_case", _("撤回工单")),
    ("hotline.escalate_case", _("重复诉求加急工单")),
    ("hotline.reply_case", _("答复工单")),
    ("hotline.request_extension", _("申请延期")),
    ("hotline.decide_extension", _("审批延期")),
    ("hotline.urge_case", _("催办工单")),
    ("hotline.supervise_case", _("督办工单")),
    ("hotline.rate_case", _("评价工单")),
    ("hotline.urge_overdue_cases", _("催办超期工单")),
    ("hotline.recount_reply_deadlines", _("重算工单答复期限")),
    ("hotline.set_time_limit", _("设置办理时限")),
    ("hotline.remove_time_limit", _("删除办理时限")),
    ("hotline.set_routing_rule", _("设置派单规则")),
    ("hotline.remove_routing_rule", _("删除派单规则")),
    ("hotline.set_place_alias", _("设置地名别称")),
    ("hotline.remove_place_alias", _("删除地名别称")),
    ("hotline.queue_import", _("排队导入工单")),
    ("hotline.finish_import", _("完成导入工单")),
    ("hotline.record_heat_jumps", _("记录诉求热度突增")),
    ("hotline.close_unrated_cases", _("回访期满办结工单")),
    ("hotline.acknowledge_heat_alert", _("确认热点预警")),
    ("hotline.queue_training", _("排队训练分类模型")),
    ("hotline.finish_training", _("完成训练分类模型")),
    ("hotline.fail_training", _("分类模型训练失败")),
    ("hotline.activate_classifier", _("启用分类模型")),
    ("hotline.resume_import", _("重新排队中断的导入")),
    ("hotline.resume_training", _("重新排队中断的训练")),
    ("hotline.set_case_urgency", _("调整工单紧急程度")),
    ("hotline.read_notifications", _("阅读工单通知")),
    # Licences.
    ("licences.issue_licence", _("颁发证照")),
    ("licences.revoke_licence", _("注销证照")),
    ("licences.share_licence", _("共享证照")),
    ("licences.withdraw_licence_share", _("撤回证照分享链接")),
    # Regulation: monitoring, inspections and credit.
    ("regulation.register_point", _("登记监测点位")),
    ("regulation.set_emission_limit", _("设置排放限值")),
    ("regulation.receive_packets", _("接收监测数据")),
    ("regulation.offline_alarms", _("发出离线报警")),
    ("regulation.judge_open_readings", _("判定分包遗留的监测数据")),
    ("regulation.suspicious_data", _("发现可疑数据")),
    ("regulation.acknowledge_alarm", _("确认报警")),
    ("regulation.close_alarm", _("关闭报警")),
    ("regulation.register_inspector", _("登记执法检查人员")),
    ("regulation.set_inspector_active", _("启用或停用执法检查人员")),
    ("regulation.add_recusal", _("登记回避")),
    ("regulation.remove_recusal", _("取消回避")),
    ("regulation.announce_inspection_task", _("公布抽查任务")),
    ("regulation.draw_inspection_task", _("抽取检查对象和人员")),
    ("regulation.cancel_inspection_task", _("取消抽查任务")),
    ("regulation.announce_supplementary_draw", _("公布补充抽取")),
    ("regulation.draw_supplementary_inspectors", _("补充抽取检查人员")),
    ("regulation.cancel_supplementary_draw", _("撤销补充抽取")),
    ("regulation.record_inspection_result", _("录入检查结果")),
    ("regulation.record_credit", _("记录信用信息")),
    ("regulation.regrade", _("重新评定信用等级")),
    ("regulation.publish_scorecard", _("发布信用评分卡")),
    ("regulation.list_serious_dishonesty", _("列入严重失信名单")),
    ("regulation.remove_listing", _("移出严重失信名单")),
    ("regulation.expire_listings", _("到期移出失信名单")),
    ("regulation.request_credit_repair", _("申请信用修复")),
    ("regulation.withdraw_credit_repair", _("撤回信用修复申请")),
    ("regulation.decide_credit_repair", _("决定信用修复")),
    # Operations.
    ("operations.backup", _("备份数据")),
):
    define_action_label(_code, _label)
