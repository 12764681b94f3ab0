"""The rendering libraries are the document function's alone (spec section 12): its own
requirements.txt, in no other function's folder and not in the layer, so no other function's
package or cold start carries them (tests/artifact checks the built packages the same way)."""

from __future__ import annotations

import re
from pathlib import Path

from infra.local.template import REPO_ROOT

DOCUMENT_FOLDER = "render_credit_memo_document"
# What a credit note renderer may use (besides what its requirements.in names).
RENDERING_LIBRARIES = frozenset(
    {"fpdf2", "fpdf", "reportlab", "factur-x", "facturx", "pypdf", "pikepdf", "lxml"}
)


def requirement_names(path: Path) -> set[str]:
    """The distributions a requirements file pins (their normalised names)."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)", line.strip())
        if found and not line.lstrip().startswith(("#", "-")):
            names.add(re.sub(r"[-_.]+", "-", found.group(1)).lower())
    return names


def rendering_libraries() -> set[str]:
    """The renderers' own libraries: those named above and what the function's requirements.in
    asks for (their locked dependencies may include what the layer has too, e.g. urllib3, pinned
    to the same version by the dev lock)."""
    return set(RENDERING_LIBRARIES) | requirement_names(
        REPO_ROOT / "functions" / DOCUMENT_FOLDER / "requirements.in"
    )


def test_only_the_document_function_has_requirements_of_its_own() -> None:
    with_requirements = sorted(p.parent.name for p in (REPO_ROOT / "functions").glob("*/requirements.txt"))
    assert with_requirements == [DOCUMENT_FOLDER]


def test_the_layer_carries_no_rendering_library() -> None:
    layer = requirement_names(REPO_ROOT / "shared" / "requirements.txt")
    assert layer, "the layer's lock names its dependencies"
    assert not layer & rendering_libraries()
