"""The supervision rules as set-wise SQL: one statement per rule over every task, project or problem.

`rules.py` is the reference: each evaluation below computes the same colour and the same
`explanation` (keys, JSON types, ISO dates, ratios as 4-place decimal strings, compared exactly by
cross-multiplying rather than on the rounded ratio), and the tests compare the two on hand-computed
cases. Each rule's statement is

    WITH eval AS (<the rule over its candidates: subject, period, colour or NULL, explanation>),
         upserted AS (INSERT INTO finding ... FROM eval WHERE colour IS NOT NULL
                      ON CONFLICT (rule_code, subject_id, period_key) DO UPDATE ...),
         cleared AS (UPDATE finding ... for this rule's unresolved findings with no colour now)
    SELECT count(*) FROM upserted, count(*) FROM cleared

The two writes touch disjoint rows (a subject has a colour now or it has not), so one statement
keeps them consistent. Recovery: a measured rule (investment_lag, stalled_project) follows
`rules.next_colour` (a worse colour at once; red holds until caught up, then yellow, then resolved);
a deadline rule (report_deadline, problem_overdue) follows the evaluation and resolves when its
deadline is met. A resolved finding whose condition returns is open again.

Candidates: report_deadline — unsubmitted tasks of open and closed rounds (due date `round.due_on`,
today in the plan's zone); investment_lag — each project's latest accepted report of each year
(investment_ytd against `facts.annual_plans[year]`, as of the report period's end or today if
earlier); stalled_project — projects with accepted reports, rounds ordered by period key, as of today
in the plan's zone; problem_overdue — open and in-progress problems, today in the service's zone.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

from services.scheduler.findings.parameters import MEASURED_RULES

_TODAY_IN_PLAN = "(CAST(:now AS timestamptz) AT TIME ZONE p.timezone)::date"


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


def _iso(day: str) -> str:
    return f"to_char({day}, 'YYYY-MM-DD')"


REPORT_DEADLINE = f"""
SELECT 'report_task' AS subject_type, t.id AS subject_id, t.period_key, t.round_id, t.entity_id,
       t.entity_kind, t.entity_name, t.region_code, t.lead_department_code,
       CASE WHEN d.days_to_due <= -CAST(:red_overdue_days AS int) THEN 'red'
            WHEN d.days_to_due <= 0 THEN 'yellow'
            WHEN d.days_to_due <= CAST(:blue_within_days AS int) THEN 'blue' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'due_on', {_iso("r.due_on")}, 'today', {_iso("d.today")},
           'submitted', false, 'days_to_due', d.days_to_due,
           'blue_within_days', CAST(:blue_within_days AS int), 'red_overdue_days', CAST(:red_overdue_days AS int)
       ) AS explanation
FROM scheduler.report_task t
JOIN scheduler.round r ON r.id = t.round_id
JOIN scheduler.plan p ON p.id = r.plan_id
CROSS JOIN LATERAL (SELECT {_TODAY_IN_PLAN} AS today) td
CROSS JOIN LATERAL (SELECT td.today, r.due_on - td.today AS days_to_due) d
WHERE r.state IN ('open', 'closed') AND t.state IN ('pending', 'returned')
"""  # noqa: S608 - this module's constants only

_LATEST_ACCEPTED = f"""
SELECT DISTINCT ON (t.entity_id, y.year)
       t.*, y.year, least(y.period_end, {_TODAY_IN_PLAN}) AS as_of
FROM scheduler.report_task t
JOIN scheduler.round r ON r.id = t.round_id
JOIN scheduler.plan p ON p.id = r.plan_id
CROSS JOIN LATERAL (SELECT {period_end("t.period_key")} AS period_end) pe
CROSS JOIN LATERAL (SELECT pe.period_end, extract(year FROM pe.period_end)::int AS year) y
WHERE t.entity_kind = 'project' AND t.state = 'accepted' AND r.state IN ('open', 'closed')
  AND t.figures ? 'investment_ytd'
ORDER BY t.entity_id, y.year, y.period_end DESC, t.accepted_at DESC, t.id
"""  # noqa: S608 - this module's constants only

INVESTMENT_LAG = f"""
SELECT 'project' AS subject_type, l.entity_id AS subject_id, l.year::text AS period_key, l.round_id, l.entity_id,
       l.entity_kind, l.entity_name, l.region_code, l.lead_department_code,
       CASE WHEN v.planned <= 0 OR s.num = 0 THEN NULL
            WHEN v.ytd * s.den < CAST(:red_below AS numeric) * v.planned * s.num THEN 'red'
            WHEN v.ytd * s.den < CAST(:yellow_below AS numeric) * v.planned * s.num THEN 'yellow' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'investment_ytd', v.ytd_text, 'annual_plan', v.plan_text,
           'as_of', {_iso("l.as_of")}, 'basis', CAST(:basis AS text),
           'time_share', round(s.num::numeric / s.den, 4)::text,
           'yellow_below', CAST(:yellow_below_text AS text), 'red_below', CAST(:red_below_text AS text)
       ) || CASE
           WHEN v.planned <= 0 THEN jsonb_build_object('reason', 'no_plan')
           WHEN s.num = 0 THEN jsonb_build_object('reason', 'no_time_elapsed')
           ELSE jsonb_build_object(
               'completion_rate', round(v.ytd / v.planned, 4)::text,
               'relative_to_time_share', round((v.ytd * s.den) / (v.planned * s.num), 4)::text)
       END AS explanation
FROM ({_LATEST_ACCEPTED}) l
CROSS JOIN LATERAL (
    SELECT l.figures ->> 'investment_ytd' AS ytd_text, (l.figures ->> 'investment_ytd')::numeric AS ytd,
           coalesce(l.facts -> 'annual_plans' ->> l.year::text, '0') AS plan_text,
           coalesce((l.facts -> 'annual_plans' ->> l.year::text)::numeric, 0) AS planned
) v
CROSS JOIN LATERAL (
    SELECT CASE WHEN CAST(:basis AS text) = 'days' THEN extract(doy FROM l.as_of)::int
                WHEN l.as_of = (date_trunc('month', l.as_of) + interval '1 month' - interval '1 day')::date
                    THEN extract(month FROM l.as_of)::int
                ELSE extract(month FROM l.as_of)::int - 1 END AS num,
           CASE WHEN CAST(:basis AS text) = 'days'
                THEN make_date(l.year + 1, 1, 1) - make_date(l.year, 1, 1) ELSE 12 END AS den
) s
"""  # noqa: S608 - this module's constants only

_ACCEPTED_STAGES = f"""
SELECT t.*, t.figures ->> 'stage' AS stage, {_TODAY_IN_PLAN} AS today,
       row_number() OVER w AS rn,
       (row_number() OVER w = 1
        OR t.figures ->> 'stage' IS DISTINCT FROM lag(t.figures ->> 'stage') OVER w
        OR (CAST(:investment_counts_as_progress AS boolean)
            AND coalesce((t.figures ->> 'investment_period')::numeric, 0) > 0)) AS moved
FROM scheduler.report_task t
JOIN scheduler.round r ON r.id = t.round_id
JOIN scheduler.plan p ON p.id = r.plan_id
WHERE t.entity_kind = 'project' AND t.state = 'accepted' AND r.state IN ('open', 'closed')
  AND t.figures ? 'stage'
WINDOW w AS (PARTITION BY t.entity_id ORDER BY t.period_key, t.accepted_at, t.id)
"""  # noqa: S608 - this module's constants only

STALLED_PROJECT = f"""
WITH acc AS ({_ACCEPTED_STAGES}),
agg AS (SELECT entity_id, max(rn) AS n, max(rn) FILTER (WHERE moved) AS last_move FROM acc GROUP BY entity_id),
cur AS (
    SELECT a.*, g.n - g.last_move AS still,
           a.stage IN ('completed', 'in_operation') AS finished,
           CASE WHEN a.facts ->> 'signed_on' IS NOT NULL AND a.stage IN ('planning', 'signed')
                THEN (a.facts ->> 'signed_on')::date END AS signed_on
    FROM acc a JOIN agg g ON g.entity_id = a.entity_id AND a.rn = g.n
),
measured AS (
    SELECT c.*, m.months,
           CASE WHEN c.still >= CAST(:red_rounds AS int) THEN 3 WHEN c.still >= CAST(:yellow_rounds AS int) THEN 2
                ELSE 0 END AS by_rounds,
           CASE WHEN m.months IS NULL THEN 0 WHEN m.months >= CAST(:red_months AS int) THEN 3
                WHEN m.months >= CAST(:yellow_months AS int) THEN 2 ELSE 0 END AS by_months
    FROM cur c
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c.signed_on IS NULL THEN NULL ELSE greatest(CASE
            WHEN (c.signed_on + make_interval(months => x.months))::date > c.today THEN x.months - 1
            ELSE x.months END, 0) END AS months
        FROM (SELECT (extract(year FROM c.today)::int - extract(year FROM c.signed_on)::int) * 12
                     + extract(month FROM c.today)::int - extract(month FROM c.signed_on)::int AS months) x
    ) m
)
SELECT 'project' AS subject_type, m.entity_id AS subject_id, '-' AS period_key, m.round_id, m.entity_id,
       m.entity_kind, m.entity_name, m.region_code, m.lead_department_code,
       CASE WHEN m.finished THEN NULL WHEN greatest(m.by_rounds, m.by_months) = 3 THEN 'red'
            WHEN greatest(m.by_rounds, m.by_months) = 2 THEN 'yellow' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'stage', m.stage, 'as_of', {_iso("m.today")},
           'yellow_rounds', CAST(:yellow_rounds AS int), 'red_rounds', CAST(:red_rounds AS int),
           'yellow_months', CAST(:yellow_months AS int), 'red_months', CAST(:red_months AS int),
           'investment_counts_as_progress', CAST(:investment_counts_as_progress AS boolean)
       ) || CASE
           WHEN m.finished THEN jsonb_build_object('reason', 'finished')
           WHEN m.signed_on IS NOT NULL THEN jsonb_build_object(
               'rounds_without_movement', m.still, 'signed_on', {_iso("m.signed_on")},
               'months_since_signing', m.months)
           ELSE jsonb_build_object('rounds_without_movement', m.still)
       END AS explanation
FROM measured m
"""  # noqa: S608 - this module's constants only

PROBLEM_OVERDUE = f"""
SELECT 'problem' AS subject_type, pr.id AS subject_id, '-' AS period_key, NULL::uuid AS round_id, pr.entity_id,
       pr.entity_kind, coalesce(pr.entity_name, pr.title) AS entity_name, pr.region_code,
       pr.assigned_department AS lead_department_code,
       CASE WHEN d.days_overdue >= CAST(:red_overdue_days AS int) THEN 'red'
            WHEN d.days_overdue >= CAST(:yellow_overdue_days AS int) THEN 'yellow' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'due_on', {_iso("pr.due_on")}, 'today', {_iso("d.today")},
           'resolved', false, 'days_overdue', d.days_overdue,
           'yellow_overdue_days', CAST(:yellow_overdue_days AS int), 'red_overdue_days', CAST(:red_overdue_days AS int)
       ) AS explanation
FROM scheduler.problem pr
CROSS JOIN LATERAL (SELECT (CAST(:now AS timestamptz) AT TIME ZONE CAST(:zone AS text))::date AS today) td
CROSS JOIN LATERAL (SELECT td.today, td.today - pr.due_on AS days_overdue) d
WHERE pr.state IN ('open', 'in_progress')
"""  # noqa: S608 - this module's constants only

EVALUATIONS = {
    "report_deadline": REPORT_DEADLINE,
    "investment_lag": INVESTMENT_LAG,
    "stalled_project": STALLED_PROJECT,
    "problem_overdue": PROBLEM_OVERDUE,
}
_COLUMNS = (
    "subject_type, subject_id, period_key, round_id, entity_id, entity_kind, entity_name, region_code, "
    "lead_department_code"
)


def evaluation(rule: str) -> TextClause:
    """The rule's evaluation alone (every candidate, colour or NULL): what the tests compare with rules.py."""
    return text(EVALUATIONS[rule])


def sweep(rule: str) -> TextClause:
    """The rule's whole sweep: upsert the findings that have a colour, step down or resolve the rest."""
    measured = rule in MEASURED_RULES
    # rules.next_colour with an evaluated colour: red holds (measured rules only), else the evaluation.
    new_colour = (
        "CASE WHEN f.state <> 'resolved' AND f.colour = 'red' THEN 'red' ELSE excluded.colour END"
        if measured
        else "excluded.colour"
    )
    step_down = "f.colour = 'red'" if measured else "false"
    return text(f"""
WITH eval AS ({EVALUATIONS[rule]}),
upserted AS (
    INSERT INTO scheduler.finding AS f
        (rule_code, rule_version, {_COLUMNS}, colour, state, explanation, first_seen_at, evaluated_at)
    SELECT CAST(:rule AS text), CAST(:rule_version AS int), {_COLUMNS}, colour, 'open', explanation,
           CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM eval WHERE colour IS NOT NULL
    ON CONFLICT (rule_code, subject_id, period_key) DO UPDATE SET
        colour = {new_colour},
        state = CASE WHEN f.state = 'resolved' THEN 'open' ELSE f.state END,
        resolved_at = CASE WHEN f.state = 'resolved' THEN NULL ELSE f.resolved_at END,
        rule_version = excluded.rule_version,
        explanation = excluded.explanation,
        round_id = excluded.round_id,
        entity_name = excluded.entity_name,
        evaluated_at = excluded.evaluated_at,
        version = f.version + CASE WHEN f.state = 'resolved' OR f.colour IS DISTINCT FROM ({new_colour})
                                   THEN 1 ELSE 0 END,
        updated_at = CASE WHEN f.state = 'resolved' OR f.colour IS DISTINCT FROM ({new_colour})
                          THEN now() ELSE f.updated_at END
    RETURNING f.id
),
cleared AS (
    UPDATE scheduler.finding f SET
        colour = CASE WHEN {step_down} THEN 'yellow' ELSE f.colour END,
        state = CASE WHEN {step_down} THEN f.state ELSE 'resolved' END,
        resolved_at = CASE WHEN {step_down} THEN NULL ELSE CAST(:now AS timestamptz) END,
        explanation = coalesce(
            (SELECT e.explanation FROM eval e WHERE e.subject_id = f.subject_id AND e.period_key = f.period_key),
            f.explanation),
        evaluated_at = CAST(:now AS timestamptz),
        version = f.version + 1,
        updated_at = now()
    WHERE f.rule_code = CAST(:rule AS text) AND f.state <> 'resolved'
      AND NOT EXISTS (
          SELECT 1 FROM eval e
          WHERE e.colour IS NOT NULL AND e.subject_id = f.subject_id AND e.period_key = f.period_key)
    RETURNING f.id
)
SELECT (SELECT count(*) FROM upserted) AS upserted, (SELECT count(*) FROM cleared) AS cleared
""")  # noqa: S608 - this module's constants only
