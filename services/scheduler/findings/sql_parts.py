"""Pieces the rules' statements share: period ends, ISO dates, today in a plan's zone, each entity's
latest accepted report of each year, and the 时序进度 ladder of investment_lag and pace_below_tier.

Each is SQL text over this package's own constants and bind names, never over input.
"""

from __future__ import annotations

TODAY_IN_PLAN = "(CAST(:now AS timestamptz) AT TIME ZONE p.timezone)::date"


def period_end(key: str) -> str:
    """SQL for the last day of the period a key names (`periods.parse_period_key(key).end`)."""
    return f"""(CASE
        WHEN {key} ~ '^[0-9]{{4}}$' THEN make_date(left({key}, 4)::int, 12, 31)
        WHEN {key} ~ '^[0-9]{{4}}-[0-9]{{2}}$'
            THEN (make_date(left({key}, 4)::int, substr({key}, 6, 2)::int, 1)
                  + interval '1 month' - interval '1 day')::date
        WHEN {key} ~ '^[0-9]{{4}}-Q[1-4]$'
            THEN (make_date(left({key}, 4)::int, substr({key}, 7, 1)::int * 3 - 2, 1)
                  + interval '3 months' - interval '1 day')::date
        ELSE to_date(left({key}, 4) || '-' || substr({key}, 7, 2) || '-7', 'IYYY-IW-ID')
    END)"""


def iso(day: str) -> str:
    return f"to_char({day}, 'YYYY-MM-DD')"


# The open and closed rounds with their dates: the period's end and year, today in the plan's zone, and
# `as_of` (the period's end, or today if earlier). `OFFSET 0` keeps the planner from pulling the
# subquery up into its join with the tasks, which would compute these once per task instead of once per
# round (a regex match, a time zone conversion and date arithmetic, over 500,000 tasks).
ROUNDS_IN_FORCE = f"""(
    SELECT r.id, r.due_on, r.opens_at, y.period_end, y.year, y.today, least(y.period_end, y.today) AS as_of
    FROM scheduler.round r
    JOIN scheduler.plan p ON p.id = r.plan_id
    CROSS JOIN LATERAL (SELECT {period_end("r.period_key")} AS period_end, {TODAY_IN_PLAN} AS today) pe
    CROSS JOIN LATERAL (
        SELECT pe.period_end, extract(year FROM pe.period_end)::int AS year, pe.today
    ) y
    WHERE r.state IN ('open', 'closed')
    OFFSET 0
)"""  # noqa: S608 - this package's constants only

# The task columns a finding is made of.
TASK_SUBJECT = (
    "t.id, t.round_id, t.entity_id, t.entity_kind, t.entity_name, t.region_code, t.lead_department_code, "
    "t.level, t.tier"
)


def latest_accepted(kinds: str, has_figures: str, values: str) -> str:
    """Each entity's latest accepted report of each year (by the report period's end), with `year`,
    `as_of` and `values` (a select list over the task `t` and `rr.year`: what the rule measures, taken
    out of the JSON before the sort, which then moves narrow rows). `kinds` is an SQL list of kinds,
    `has_figures` a condition on `t.figures` (the report holds what the rule measures)."""
    return f"""
SELECT DISTINCT ON (t.entity_id, rr.year)
       {TASK_SUBJECT}, {values}, rr.year, rr.as_of
FROM scheduler.report_task t
JOIN {ROUNDS_IN_FORCE} rr ON rr.id = t.round_id
WHERE t.entity_kind IN ({kinds}) AND t.state = 'accepted' AND ({has_figures})
ORDER BY t.entity_id, rr.year, rr.period_end DESC, t.accepted_at DESC, t.id
"""  # noqa: S608 - this package's constants only


def lag_ladder(subject: str, source: str, amounts: str, inputs: str) -> str:
    """`rules._lag` over `source` (aliased `l`, with `as_of`): `amounts` is a SELECT giving `actual` and
    `full_year` (numeric), `inputs` the explanation's `jsonb_build_object` arguments naming them.

    The colour compares exactly by cross-multiplying (actual × den < below × full_year × num); the
    ratios shown are rounded half up to 4 places, as `rules._ratio` does.
    """
    return f"""
SELECT {subject},
       CASE WHEN v.full_year <= 0 OR s.num = 0 THEN NULL
            WHEN v.actual * s.den < CAST(:red_below AS numeric) * v.full_year * s.num THEN 'red'
            WHEN v.actual * s.den < CAST(:yellow_below AS numeric) * v.full_year * s.num THEN 'yellow' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), {inputs},
           'as_of', {iso("l.as_of")}, 'basis', CAST(:basis AS text),
           'time_share', round(s.num::numeric / s.den, 4)::text,
           'yellow_below', CAST(:yellow_below_text AS text), 'red_below', CAST(:red_below_text AS text)
       ) || CASE
           WHEN v.full_year <= 0 THEN jsonb_build_object('reason', 'no_plan')
           WHEN s.num = 0 THEN jsonb_build_object('reason', 'no_time_elapsed')
           ELSE jsonb_build_object(
               'completion_rate', round(v.actual / v.full_year, 4)::text,
               'relative_to_time_share', round((v.actual * s.den) / (v.full_year * s.num), 4)::text)
       END AS explanation
FROM ({source}) l
CROSS JOIN LATERAL ({amounts}) v
CROSS JOIN LATERAL (
    SELECT CASE WHEN CAST(:basis AS text) = 'days' THEN extract(doy FROM l.as_of)::int
                WHEN l.as_of = (date_trunc('month', l.as_of) + interval '1 month' - interval '1 day')::date
                    THEN extract(month FROM l.as_of)::int
                ELSE extract(month FROM l.as_of)::int - 1 END AS num,
           CASE WHEN CAST(:basis AS text) = 'days'
                THEN (date_trunc('year', l.as_of) + interval '1 year')::date - date_trunc('year', l.as_of)::date
                ELSE 12 END AS den
) s
"""  # noqa: S608 - this package's constants only
