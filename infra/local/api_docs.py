"""The browsable API reference at ``/docs``: Swagger UI on ``/openapi.json``, offline.

Swagger UI's own built files come from the ``swagger-ui-py`` package (in the serving install); this
module serves the few the page loads, under ``/docs/``, and a page of its own that points them at
the served document. Nothing is fetched from elsewhere: the page works without a network, and its
schema validator badge (which calls an outside service) is turned off.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from infra.local.api_gateway import HttpResponse

DOCS_PATH = "/docs"
# The files the page loads, by name under /docs/, with their media types.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Credit memo service API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
"""


def swagger_ui_files() -> Path | None:
    """Where the installed swagger-ui-py keeps Swagger UI's files (found without importing it)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def docs_response(raw_path: str) -> HttpResponse | None:
    """The answer to a GET of ``raw_path`` if it is the reference's page or one of its files."""
    if raw_path in (DOCS_PATH, DOCS_PATH + "/"):
        if swagger_ui_files() is None:
            message = b"Swagger UI is not installed: `make run` installs it (requirements/serve.txt)\n"
            return HttpResponse(404, [("Content-Type", "text/plain; charset=utf-8")], message)
        return HttpResponse(200, [("Content-Type", "text/html; charset=utf-8")], PAGE.encode())
    name = raw_path.removeprefix(DOCS_PATH + "/")
    files = swagger_ui_files()
    if name not in ASSETS or files is None:
        return None
    return HttpResponse(200, [("Content-Type", ASSETS[name])], (files / name).read_bytes())
