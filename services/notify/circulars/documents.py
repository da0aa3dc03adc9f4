"""The official-document PDF of a circular, rendered once when it is published.

`DocumentRenderer` finds the fonts the first time it renders (so an app without them starts, and
fails only a publish) and runs `document.render_pdf` (about a second of CPU) in a worker thread.
Tests replace the app's renderer with a faster one where the PDF itself is not under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from services.notify.docnumber import ISSUER_BY_CODE
from services.notify.document import OfficialDocument, render_pdf
from services.notify.fonts import DocumentFonts, FontsMissing, find_document_fonts
from services.notify.markdown import plain_paragraphs
from shared.errors import ServiceUnavailable
from shared.schemas.notify.enums import Issuer, Urgency

DEFAULT_RECIPIENTS = ("各有关单位",)
Render = Callable[[OfficialDocument], bytes]


def official_document(row: dict[str, Any], number: str, issued_on: dt.date) -> OfficialDocument:
    issuer = ISSUER_BY_CODE[Issuer(row["issuer"])]
    paragraphs = tuple(plain_paragraphs(row["body"])) or (row["title"],)
    return OfficialDocument(
        issuer_name=issuer.name,
        number=number,
        title=row["title"],
        recipients=tuple(row["recipients"]) or DEFAULT_RECIPIENTS,
        paragraphs=paragraphs,
        signatory=issuer.name,
        issued_on=issued_on,
        urgency=Urgency(row["urgency"]),
    )


class DocumentRenderer:
    def __init__(self, render: Render | None = None) -> None:
        self._render = render
        self._fonts: DocumentFonts | None = None

    def _render_with_fonts(self, doc: OfficialDocument) -> bytes:
        if self._fonts is None:
            self._fonts = find_document_fonts()
        return render_pdf(doc, self._fonts)

    async def render(self, doc: OfficialDocument) -> bytes:
        render = self._render or self._render_with_fonts
        try:
            return await asyncio.to_thread(render, doc)
        except FontsMissing as exc:
            raise ServiceUnavailable(
                "公文字体未安装，暂不能生成公文版式", code="document_fonts_missing", headers={"Retry-After": "300"}
            ) from exc
