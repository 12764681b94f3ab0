"""`make run` serves a browsable API reference at /docs that needs nothing but the local server."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local.api_docs import ASSETS
from infra.local.server import LocalApi, LocalHttpServer
from infra.local.template import Template
from tests.tooling.conftest import FIXTURE_TEMPLATE


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalHttpServer]:
    openapi = tmp_path / "openapi.json"
    openapi.write_text('{"openapi": "3.1.0"}')
    api = LocalApi(Template.load(FIXTURE_TEMPLATE), endpoint_url="http://127.0.0.1:9", openapi_path=openapi)
    http = LocalHttpServer(("127.0.0.1", 0), api, log=lambda _: None)
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield http
    http.shutdown()
    http.server_close()


def test_docs_is_a_page_whose_assets_all_come_from_the_local_server(server: LocalHttpServer) -> None:
    page = requests.get(f"{server.base_url}/docs", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and 'url: "/openapi.json"' in page.text
    # Nothing is loaded from another host: every URL the page names is one of this server's paths.
    assert not re.search(r"(https?:)?//", page.text)
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(loaded) == sorted(f"/docs/{name}" for name in ASSETS)
    for url in loaded:
        asset = requests.get(f"{server.base_url}{url}", timeout=10)
        assert asset.status_code == 200, url
        assert asset.headers["Content-Type"] == ASSETS[url.rsplit("/", 1)[1]]
        assert len(asset.content) > 100, url
    assert requests.get(f"{server.base_url}/openapi.json", timeout=10).json() == {"openapi": "3.1.0"}


def test_the_bundled_swagger_ui_reads_openapi_3_1() -> None:
    # Swagger UI renders OpenAPI 3.1 documents from its major version 5 on, with its OAS31 plugin.
    from infra.local.api_docs import swagger_ui_files

    files = swagger_ui_files()
    assert files is not None, "swagger-ui-py is not installed (requirements/serve.txt)"
    bundle = (files / "swagger-ui-bundle.js").read_text(encoding="utf-8", errors="replace")
    assert "OAS31ComponentWrapper" in bundle


def test_other_paths_under_docs_are_not_served(server: LocalHttpServer) -> None:
    response = requests.get(f"{server.base_url}/docs/../openapi.json.map", timeout=10)
    assert response.status_code == 404
    assert requests.get(f"{server.base_url}/docs/swagger-ui.js.map", timeout=10).status_code == 404
