"""notify's fixtures: a quick stand-in for the PDF renderer, bodies of circulars and subscribers."""

from __future__ import annotations

from typing import Any

import pytest

from services.notify.circulars.documents import DocumentRenderer
from services.notify.document import OfficialDocument


def fake_pdf(doc: OfficialDocument) -> bytes:
    """Stands in for `render_pdf` (about a second each) where the PDF's layout is not under test."""
    return b"%PDF-1.4 stand-in " + doc.number.encode()


@pytest.fixture(autouse=True)
def quick_documents(request: pytest.FixtureRequest) -> None:
    if "real_documents" in request.keywords:
        return
    for name in ("notify_app", "committing_notify_app"):
        if name in request.fixturenames:
            app: Any = request.getfixturevalue(name)
            app.state.platform.state.renderer = DocumentRenderer(fake_pdf)
