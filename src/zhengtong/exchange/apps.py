from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "zhengtong.exchange"
    label = "exchange"
    verbose_name = _("数据共享交换")

    def ready(self) -> None:
        from zhengtong.core.refusals import on_refused_request
        from zhengtong.exchange.refused_calls import log_refused_call

        on_refused_request(log_refused_call)

        from zhengtong.catalog.item_uses import on_item_removal
        from zhengtong.exchange.selectors import dataset_key_items, granted_items

        on_item_removal(dataset_key_items)
        on_item_removal(granted_items)
