import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_api_docs_page_loads_every_asset_from_the_platform() -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references, "the docs page should load its script and style"
    for reference in references:
        assert reference.startswith("/"), reference
    assert "cdn" not in page.lower()


@pytest.mark.django_db
def test_the_openapi_document_is_served() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
