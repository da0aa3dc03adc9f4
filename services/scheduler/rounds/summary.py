"""A round's summary (情况综合): submission and on-time rates, investment against plan, findings by
colour, and each city's and county's score, rank and grade by `scoring.score_round`.

Scoring is configured by the active `scoring_profile` row (code `default`: weights per component,
penalty per colour, grade cut-offs; seeded with `scoring.py`'s defaults). Cities are ranked among
cities (a city's figures include its counties'; province-level entities are the unit 430000), counties
among counties. Findings count against a unit when they belong to the round (`finding.round_id`) and
are not resolved. Planned investment is each project's annual plan for the year the round's period
ends in, from the task's snapshot; completed is the accepted reports' `investment_ytd`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.findings.rule_repository import RuleRepository
from services.scheduler.periods import parse_period_key
from services.scheduler.rounds.summary_repository import SummaryRepository
from services.scheduler.rounds.summary_schemas import ColourCounts, RoundSummary, ScoringProfileRead, UnitSummary
from services.scheduler.rules import Colour
from services.scheduler.scoring import Component, Grade, ScoringParams, UnitRound, UnitScore, score_round, unit_score
from shared.regions import HUNAN, parent_city, region_level

_PLACES = Decimal("0.0001")


@dataclass
class Tally:
    name: str | None = None
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    planned: Decimal = Decimal(0)
    completed: Decimal = Decimal(0)
    findings: Counter[str] = field(default_factory=Counter)

    def add(self, row: Mapping[Any, Any]) -> None:
        self.expected += int(row["expected"])
        self.submitted += int(row["submitted"])
        self.on_time += int(row["on_time"])
        self.planned += Decimal(row["investment_planned"])
        self.completed += Decimal(row["investment_completed"])

    def unit_round(self, code: str) -> UnitRound:
        colours = {Colour(c): n for c, n in self.findings.items()}
        return UnitRound(code, self.expected, self.submitted, self.on_time, self.completed, self.planned, colours)


def scoring_params(profile: Mapping[Any, Any] | None) -> ScoringParams:
    if profile is None:
        return ScoringParams()
    return ScoringParams(
        version=str(profile["version"]),
        weights={Component(k): Decimal(str(v)) for k, v in profile["weights"].items()},
        penalties={Colour(k): Decimal(str(v)) for k, v in profile["penalties"].items()},
        cutoffs={Grade(k): Decimal(str(v)) for k, v in profile["cutoffs"].items()},
    )


def _rate(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_PLACES, rounding=ROUND_HALF_UP)


def _unit(code: str, tally: Tally, score: UnitScore) -> UnitSummary:
    return UnitSummary(
        unit=code,
        name=tally.name,
        expected=tally.expected,
        submitted=tally.submitted,
        on_time=tally.on_time,
        submission_rate=_rate(tally.submitted, tally.expected),
        on_time_rate=_rate(tally.on_time, tally.expected),
        investment_planned=tally.planned,
        investment_completed=tally.completed,
        investment_rate=_rate(tally.completed, tally.planned),
        findings=ColourCounts(**{c: tally.findings.get(c, 0) for c in ("red", "yellow", "blue")}),
        components={c.value: v for c, v in score.components.items()},
        score=score.score,
        rank=score.rank,
        grade=score.grade,
        grade_label=score.grade.label if score.grade else None,
    )


def _ranked(tallies: Mapping[str, Tally], params: ScoringParams) -> list[UnitSummary]:
    scores = score_round([t.unit_round(code) for code, t in tallies.items()], params)
    return [_unit(s.unit, tallies[s.unit], s) for s in scores]


def summarise(
    round_row: Mapping[Any, Any],
    regions: Sequence[Mapping[Any, Any]],
    findings: Sequence[Mapping[Any, Any]],
    profile: Mapping[Any, Any] | None,
    now: dt.datetime,
) -> RoundSummary:
    params = scoring_params(profile)
    cities: dict[str, Tally] = {}
    counties: dict[str, Tally] = {}
    total = Tally(name="合计")
    for row in regions:
        code = row["region_code"]
        level = region_level(code)
        city = HUNAN if level == "province" else parent_city(code)
        city_tally = cities.setdefault(city, Tally())
        city_tally.add(row)
        total.add(row)
        if level == "county":
            county = counties.setdefault(code, Tally(name=row["region_name"]))
            county.add(row)
            city_tally.name = city_tally.name or row["city_name"]
        else:
            city_tally.name = row["region_name"] or city_tally.name
    if HUNAN in cities:
        cities[HUNAN].name = "省本级"
    for row in findings:
        code, colour, n = row["region_code"], row["colour"], int(row["n"])
        level = region_level(code)
        total.findings[colour] += n
        cities.setdefault(HUNAN if level == "province" else parent_city(code), Tally()).findings[colour] += n
        if level == "county" and code in counties:
            counties[code].findings[colour] += n
    components, score = unit_score(total.unit_round(HUNAN), params)
    shown = {
        c: None if v is None else (Decimal(v.numerator) / Decimal(v.denominator)).quantize(_PLACES, ROUND_HALF_UP)
        for c, v in components.items()
    }
    totals = _unit(HUNAN, total, UnitScore(HUNAN, shown, score, None, None))
    profile_read = ScoringProfileRead(
        code=str(profile["code"]) if profile else "default",
        version=int(params.version),
        weights={c.value: str(w) for c, w in params.weights.items()},
        penalties={c.value: str(p) for c, p in params.penalties.items()},
        cutoffs={g.value: str(v) for g, v in params.cutoffs.items()},
    )
    return RoundSummary(
        round_id=round_row["id"],
        plan_id=round_row["plan_id"],
        period_key=round_row["period_key"],
        state=round_row["state"],
        due_at=round_row["due_at"],
        generated_at=now,
        totals=totals,
        cities=_ranked(cities, params),
        counties=_ranked(counties, params),
        scoring=profile_read,
    )


async def round_summary(session: AsyncSession, round_row: RowMapping, now: dt.datetime) -> RoundSummary:
    """The summary of a round as its tasks and findings stand now."""
    year = parse_period_key(round_row["period_key"]).end.year
    repo = SummaryRepository(session)
    regions = await repo.by_region(round_row["id"], year)
    findings = await repo.findings(round_row["id"])
    profile = await RuleRepository(session).scoring_profile()
    return summarise(round_row, regions, findings, profile, now)
