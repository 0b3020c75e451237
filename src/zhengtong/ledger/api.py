"""The ledger app's API operations, mounted by zhengtong.api."""

from ninja import Router

router = Router(tags=["ledger"])
