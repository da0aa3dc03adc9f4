"""The size rules in SQL, over what the scheduler holds: accepted reports' year-to-date figures and the
entity snapshots its tasks carry (no registry table is read).

    pace_below_tier      per industry or enterprise and year: the latest accepted report of the year,
                         its size year-to-date (`revenue_ytd`, else `output_ytd`, as the registry sizes
                         an entity) against the threshold of the tier in that report's snapshot
    promotion_candidate  the same size per industry or enterprise and year, and per project its total
                         investment (`facts.total_investment`, period `-`), against the level and tier
                         of the entity's newest snapshot (latest round opened), so an entity the office
                         has since promoted is no longer a candidate

Tier thresholds, each kind's ladder and the tiers each level allows are written into the statements
from `shared.tiers` and `TIER_THRESHOLD_YI`, so the SQL cannot drift from the Python rules.
"""

from __future__ import annotations

from services.scheduler.findings.sql_parts import lag_ladder, latest_accepted
from shared.schemas.enums import TIER_THRESHOLD_YI, EntityKind
from shared.tiers import LEVEL_ORDER, PROGRAMME_TIER, allowed_tiers, ladder

_SIZED = "'industry', 'enterprise'"
_HAS_SIZE = "t.figures ? 'revenue_ytd' OR t.figures ? 'output_ytd'"
_SIZE_TEXT = "coalesce(t.figures ->> 'revenue_ytd', t.figures ->> 'output_ytd') AS size_text"

THRESHOLDS = "(VALUES {}) AS th(tier, threshold, threshold_text)".format(
    ", ".join(f"('{tier.value}', {value}::numeric, '{value}')" for tier, value in TIER_THRESHOLD_YI.items())
)


def _reached_tier(kind: str, size: str) -> str:
    """SQL: the highest tier of the kind's ladder `size` reaches (`shared.tiers.tier_reached`), or NULL.
    A CASE rather than a lookup in a VALUES list: evaluated once per candidate, it must be cheap."""
    arms = " ".join(
        f"WHEN {kind} = '{k.value}' AND {size} >= {TIER_THRESHOLD_YI[t]} THEN '{t.value}'"
        for k in EntityKind
        for t in ladder(k)
    )
    return f"(CASE {arms} END)"


def _highest_level(kind: str, size: str) -> str:
    """SQL: the highest level one of whose allowed tiers `size` reaches, or NULL."""
    by_level = sorted(LEVEL_ORDER, key=LEVEL_ORDER.__getitem__, reverse=True)
    arms = " ".join(
        f"WHEN {kind} = '{k.value}' AND {size} >= "
        f"{min(TIER_THRESHOLD_YI[t] for t in allowed_tiers(k, level))} THEN '{level.value}'"
        for k in EntityKind
        for level in by_level
    )
    return f"(CASE {arms} END)"


ALLOWED = "(VALUES {}) AS al(kind, level, level_order, tier, threshold)".format(
    ", ".join(
        f"('{kind.value}', '{level.value}', {LEVEL_ORDER[level]}, '{tier.value}', {TIER_THRESHOLD_YI[tier]}::numeric)"
        for kind, level in PROGRAMME_TIER
        for tier in allowed_tiers(kind, level)
    )
)
LEVELS = "(VALUES {}) AS lv(level, level_order)".format(
    ", ".join(f"('{level.value}', {order})" for level, order in LEVEL_ORDER.items())
)

_SUBJECT = (
    "l.entity_kind AS subject_type, l.entity_id AS subject_id, l.year::text AS period_key, l.round_id, l.entity_id, "
    "l.entity_kind, l.entity_name, l.region_code, l.lead_department_code"
)

PACE_BELOW_TIER = lag_ladder(
    subject=_SUBJECT,
    source=f"""
SELECT a.*, th.threshold, th.threshold_text
FROM ({latest_accepted(_SIZED, _HAS_SIZE, _SIZE_TEXT)}) a
JOIN {THRESHOLDS} ON th.tier = a.tier
""",  # noqa: S608 - this module's constants only
    amounts="SELECT l.size_text::numeric AS actual, l.threshold AS full_year",
    inputs="'size_ytd', l.size_text, 'tier', l.tier, 'threshold', l.threshold_text",
)

# Each entity's newest snapshot: its task in the latest opened round it has one in. (One sort of the
# narrow rows, in the sweep's working memory; an aggregate over the (round, entity) index followed by
# a lookup of each newest task measured 1.5-1.9x slower on 500,000 tasks.)
_NEWEST_SNAPSHOT = """
newest AS MATERIALIZED (
    SELECT DISTINCT ON (t.entity_id)
           t.entity_id, t.entity_kind, t.entity_name, t.region_code, t.lead_department_code, t.level, t.tier,
           t.round_id, CASE WHEN t.entity_kind = 'project' THEN t.facts ->> 'total_investment' END AS total_investment
    FROM scheduler.report_task t
    JOIN scheduler.round r ON r.id = t.round_id
    WHERE r.state IN ('open', 'closed')
    ORDER BY t.entity_id, r.opens_at DESC, t.id
)"""

_SIZES = f"""
SELECT l.entity_id, l.year::text AS period_key, l.round_id, l.size_text
FROM ({latest_accepted(_SIZED, _HAS_SIZE, _SIZE_TEXT)}) l
UNION ALL
SELECT n.entity_id, '-', n.round_id, n.total_investment
FROM newest n
WHERE n.total_investment IS NOT NULL
"""  # noqa: S608 - this module's constants only

PROMOTION_CANDIDATE = f"""
WITH {_NEWEST_SNAPSHOT},
sized AS (
    SELECT s.entity_id, s.period_key, s.round_id, s.size_text, s.size_text::numeric AS size,
           n.entity_kind, n.entity_name, n.region_code, n.lead_department_code, n.level, n.tier,
           th.threshold_text, th.threshold, lv.level_order
    FROM ({_SIZES}) s
    JOIN newest n ON n.entity_id = s.entity_id
    JOIN {THRESHOLDS} ON th.tier = n.tier
    JOIN {LEVELS} ON lv.level = n.level
),
reached AS (
    SELECT z.*, rc.tier AS tier_reached, rc.threshold AS reached_threshold,
           CASE WHEN hl.level_order > z.level_order THEN hl.level ELSE z.level END AS suggested_level
    FROM sized z
    LEFT JOIN {THRESHOLDS.replace("th(", "rc(")} ON rc.tier = {_reached_tier("z.entity_kind", "z.size")}
    LEFT JOIN {LEVELS.replace("lv(", "hl(")} ON hl.level = {_highest_level("z.entity_kind", "z.size")}
)
SELECT c.entity_kind AS subject_type, c.entity_id AS subject_id, c.period_key, c.round_id, c.entity_id,
       c.entity_kind, c.entity_name, c.region_code, c.lead_department_code,
       CASE WHEN c.reached_threshold > c.threshold THEN 'blue' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'kind', c.entity_kind, 'level', c.level, 'tier', c.tier,
           'size', c.size_text, 'threshold', c.threshold_text, 'tier_reached', c.tier_reached
       ) || CASE WHEN c.reached_threshold > c.threshold THEN jsonb_build_object(
           'suggested_level', c.suggested_level,
           'suggested_tier', coalesce((
               SELECT al.tier FROM {ALLOWED}
               WHERE al.kind = c.entity_kind AND al.level = c.suggested_level AND c.size >= al.threshold
               ORDER BY al.threshold DESC LIMIT 1), c.tier_reached))
       ELSE '{{}}'::jsonb END AS explanation
FROM reached c
"""  # noqa: S608 - this module's constants only
