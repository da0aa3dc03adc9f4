"""Chinese line breaking for the official-document PDF: pure, over any width function.

Text breaks between any two Han characters, but not inside a run of Latin letters and digits
(2026, 98.5%, GDP), nor inside 破折号 —— or 省略号 ……. The usual 禁则 hold: a line does not
start with a 点号 or closing mark (，。、；：？！ ）》” …), and does not end with an opening mark
(（《“ …); the characters before such a mark move down with it, or, when the line is a single
word that cannot move, the mark hangs past the end of the line. A line may be set up to `squeeze`
narrower than its natural width, which lets 28 characters of 3号 fill a 156 mm line as
GB/T 9704 asks (28 × 16 pt is 158 mm).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

NO_LINE_START = frozenset("，。、；：？！）］｝】》〉」』”’〕,.;:?!)]}%％‰·・～")
NO_LINE_END = frozenset("（［｛【《〈「『“‘〔([{")
DEFAULT_SQUEEZE = 0.015

_UNIT_PATTERN = r"——|……|[A-Za-z0-9]+(?:[.,:/@_\-][A-Za-z0-9]+)*%?|\s+|."
_UNIT = re.compile(_UNIT_PATTERN, re.DOTALL)
# In a title a short quoted name (“万千百”) stays on one line; in body text that would space lines out.
_TITLE_UNIT = re.compile(r"“[^“”]{1,6}”|" + _UNIT_PATTERN, re.DOTALL)


@dataclass(frozen=True, slots=True)
class Line:
    """One line: its `text`, its natural `width`, the `available` width and whether it ends its paragraph."""

    text: str
    width: float
    available: float
    last: bool


def break_lines(
    text: str,
    measure: Callable[[str], float],
    width: float,
    *,
    indent: float = 0.0,
    squeeze: float = DEFAULT_SQUEEZE,
    keep_quoted: bool = False,
) -> list[Line]:
    """`text` broken into lines of `width`, the first one `indent` narrower. Whitespace at a break
    is dropped; a piece wider than the line it would start is broken between its characters. `keep_quoted`
    keeps a quotation of up to six characters whole, for titles."""
    queue = deque((unit, measure(unit)) for unit in (_TITLE_UNIT if keep_quoted else _UNIT).findall(text))
    done: list[tuple[list[tuple[str, float]], float]] = []
    current: list[tuple[str, float]] = []
    while queue:
        piece = queue.popleft()
        unit, w = piece
        if not current and unit.isspace():
            continue
        available = width - indent if not done else width
        limit = available * (1 + squeeze)
        if not current and w > limit and len(unit) > 1:
            queue.extendleft(reversed([(c, measure(c)) for c in unit]))
            continue
        if not current or _width(current) + w <= limit:
            current.append(piece)
            continue
        carry: list[tuple[str, float]] = []
        if unit[0] in NO_LINE_START:
            # Move down the fewest trailing pieces that give the next line a lawful start.
            k = next((k for k in range(1, len(current)) if current[-k][0][0] not in NO_LINE_START), None)
            if k is None:
                # Nothing can move down with the mark (the line is one long word): it hangs instead.
                current.append(piece)
                continue
            carry = current[-k:]
            del current[-k:]
        while len(current) > 1 and current[-1][0][-1] in NO_LINE_END:
            carry.insert(0, current.pop())
        while current and current[-1][0].isspace():
            current.pop()
        done.append((current, available))
        current = carry
        if not unit.isspace():
            queue.appendleft(piece)  # placed afresh on the new line, which may have to split it
    while current and current[-1][0].isspace():
        current.pop()
    if current:
        done.append((current, width - indent if not done else width))
    return [
        Line("".join(u for u, _ in units), _width(units), available, i == len(done) - 1)
        for i, (units, available) in enumerate(done)
    ]


def _width(units: list[tuple[str, float]]) -> float:
    return sum(w for _, w in units)


def justified_spacing(line: Line, max_gap: float) -> float:
    """Extra space after each character so that `line` fills its width exactly: negative when it
    was squeezed, zero for a paragraph's last line that fits, and zero when the gap would exceed
    `max_gap` (a line left short by a long word stays ragged rather than spaced out)."""
    if len(line.text) < 2:
        return 0.0
    spare = line.available - line.width
    if line.last and spare >= 0:
        return 0.0
    gap = spare / (len(line.text) - 1)
    return 0.0 if gap > max_gap else gap
