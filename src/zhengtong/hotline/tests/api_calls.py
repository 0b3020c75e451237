"""Calls to the hotline API shared by the API test modules."""

import io
from collections.abc import Sequence
from typing import Any

from django.test import Client
from openpyxl import Workbook

from zhengtong.identity.models import User

URL = "/api/hotline"
POLLUTION = "芙蓉区五一大道旁边的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗，希望尽快处理。"


def ok(response: Any, status: int = 200) -> Any:
    """The response's JSON, after checking its status (the body shown when it differs)."""
    assert response.status_code == status, response.content.decode()
    return response.json()


def as_user(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


def post(http: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return http.post(f"{URL}{path}", data or {}, content_type="application/json")


def submit(http: Client, content: str = POLLUTION, **fields: Any) -> Any:
    return ok(post(http, "/cases", {"content": content, **fields}), 201)


def workbook(*rows: Sequence[object]) -> io.BytesIO:
    """An XLSX upload named calls.xlsx with these rows, as the call centre exports it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "calls.xlsx"
    return buffer
