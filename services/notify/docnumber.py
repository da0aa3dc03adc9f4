"""文号 (document numbers), the five kinds of circular and the urgency marks, with Chinese labels.

A number is the issuer's 机关代字, the kind's 代字, the year in 六角括号 and the sequence with 号,
per GB/T 9704-2012 7.2.4 (no leading zeros, no 第): 湘万千百办通〔2026〕12号. Each (issuer, kind,
year) counts from 1 on its own; the counter itself lives in the database.

    kind                 label      代字   example
    bulletin             通报       通     湘万千百办通〔2026〕12号
    notice               通知       发     湘万千百办发〔2026〕3号
    supervision_letter   督办函     督     湘万千百办督〔2026〕5号
    reminder             提醒       提     湘万千百办提〔2026〕8号
    experience           经验交流   交     湘万千百办交〔2026〕2号

Parsing accepts the brackets people type instead of 〔〕 ([], ［］, 【】, (), （）, ﹝﹞) and
surrounding spaces; everything else must be exact. Formatting always writes 〔〕.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.schemas.notify.enums import CircularKind, Urgency
from shared.schemas.notify.enums import Issuer as IssuerCode

__all__ = ["CircularKind", "Urgency"]

KIND_LABELS: dict[CircularKind, str] = {kind: kind.label for kind in CircularKind}
KIND_CODES: dict[CircularKind, str] = {
    CircularKind.bulletin: "通",
    CircularKind.notice: "发",
    CircularKind.supervision_letter: "督",
    CircularKind.reminder: "提",
    CircularKind.experience: "交",
}
URGENCY_LABELS: dict[Urgency, str] = {urgency: urgency.label for urgency in Urgency}
_KIND_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}


@dataclass(frozen=True, slots=True)
class Issuer:
    """A body that issues circulars: `name` for the masthead and signature, `prefix` for 文号."""

    code: str
    name: str
    prefix: str


ISSUERS: tuple[Issuer, ...] = (
    Issuer("wqb_office", "湖南省产业发展“万千百”工程工作专班办公室", "湘万千百办"),
    Issuer("fgw", "湖南省发展和改革委员会", "湘发改万千百"),
    Issuer("gxt", "湖南省工业和信息化厅", "湘工信万千百"),
    Issuer("nynct", "湖南省农业农村厅", "湘农万千百"),
    Issuer("zjt", "湖南省住房和城乡建设厅", "湘建万千百"),
    Issuer("kjt", "湖南省科学技术厅", "湘科万千百"),
    Issuer("jtt", "湖南省交通运输厅", "湘交万千百"),
    Issuer("swt", "湖南省商务厅", "湘商万千百"),
    Issuer("wlt", "湖南省文化和旅游厅", "湘文旅万千百"),
    Issuer("jrj", "湖南省地方金融监督管理局", "湘金监万千百"),
)


ISSUER_BY_CODE: dict[IssuerCode, Issuer] = {IssuerCode(issuer.code): issuer for issuer in ISSUERS}


class DocumentNumberInvalid(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class DocumentNumber:
    prefix: str
    kind: CircularKind
    year: int
    sequence: int

    def __post_init__(self) -> None:
        if not self.prefix or any(c.isspace() or c in _BRACKETS for c in self.prefix):
            raise DocumentNumberInvalid("机关代字不能为空，也不能含空白或括号")
        if not 1949 <= self.year <= 9999:
            raise DocumentNumberInvalid(f"年份 {self.year} 不在 1949–9999 之内")
        if self.sequence < 1:
            raise DocumentNumberInvalid("发文顺序号从 1 起")

    def __str__(self) -> str:
        return f"{self.prefix}{KIND_CODES[self.kind]}〔{self.year}〕{self.sequence}号"


def format_number(issuer: Issuer, kind: CircularKind, year: int, sequence: int) -> str:
    return str(DocumentNumber(issuer.prefix, kind, year, sequence))


_BRACKETS = "〔〕[]［］【】()（）﹝﹞"
_OPEN = "〔[［【(（﹝"
_CLOSE = "〕]］】)）﹞"
_PATTERN = re.compile(
    rf"(?P<head>.+)(?P<kind>[{''.join(_KIND_BY_CODE)}])[{re.escape(_OPEN)}](?P<year>\d{{4}})"
    rf"[{re.escape(_CLOSE)}](?P<seq>[1-9]\d*)号"
)


def parse_number(text: str, issuers: Iterable[Issuer] = ISSUERS) -> DocumentNumber:
    """The number written in `text`; its prefix must be one of `issuers`. Raises `DocumentNumberInvalid`."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise DocumentNumberInvalid(f"“{text}”不是 机关代字+种类代字+〔年份〕+顺序号+号 的文号")
    head = match["head"]
    if head not in {issuer.prefix for issuer in issuers}:
        raise DocumentNumberInvalid(f"“{head}”不是已登记的机关代字")
    return DocumentNumber(head, _KIND_BY_CODE[match["kind"]], int(match["year"]), int(match["seq"]))
