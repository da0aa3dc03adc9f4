"""The supervision rules as set-wise SQL: one statement per rule over every task, project or problem.

`rules.py` is the reference: each evaluation below computes the same colour and the same
`explanation` (keys, JSON types, ISO dates, ratios as 4-place decimal strings, compared exactly by
cross-multiplying rather than on the rounded ratio), and the tests compare the two on hand-computed
cases. Each rule's statement is

    WITH eval AS (<the rule over its candidates: subject, period, colour or NULL, explanation>),
         upserted AS (INSERT INTO finding ... FROM eval WHERE colour IS NOT NULL
                      ON CONFLICT (rule_code, subject_id, period_key) DO UPDATE ...),
         gone AS (this rule's unresolved findings LEFT JOIN eval, where there is no colour now),
         cleared AS (UPDATE finding ... FROM gone)
    SELECT count(*) FROM upserted, count(*) FROM cleared

A finding whose evaluation is unchanged (colour, explanation, rule version, round, name) is not
written again: most of a sweep's findings are the last sweep's, and rewriting each row (a new row
version and an entry in each index) was most of a sweep's cost; `evaluated_at` is therefore the sweep
that last changed the finding's evaluation. The two writes touch disjoint rows (a subject has a colour
now or it has not), so one statement keeps them consistent; `gone` is one hashed anti-join, so
clearing costs the same whether one finding clears or all of them do. Recovery: a measured rule
(investment_lag, stalled_project, pace_below_tier) follows `rules.next_colour` (a worse colour at
once; red holds until caught up, then yellow, then resolved); the others follow the evaluation: a
deadline rule (report_deadline, problem_overdue, circular_unsigned) resolves when its deadline is
met, promotion_candidate when the size no longer reaches a tier above the entity's. A resolved
finding whose condition returns is open again.

Candidates: report_deadline — unsubmitted tasks of open and closed rounds (due date `round.due_on`,
today in the plan's zone); investment_lag — each project's latest accepted report of each year
(investment_ytd against `facts.annual_plans[year]`, as of the report period's end or today if
earlier); stalled_project — projects with accepted reports, rounds ordered by period key, as of today
in the plan's zone; pace_below_tier and promotion_candidate — see `size_sql`; problem_overdue — open
and in-progress problems, today in the service's zone; circular_unsigned — the receipts of the
scheduler's own circulars that notify last reported unsigned (`unsigned_receipt`, kept by
`circulars.receipts`), days since publication in the service's zone, one finding per receipt.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

from services.scheduler.findings.parameters import MEASURED_RULES
from services.scheduler.findings.size_sql import PACE_BELOW_TIER, PROMOTION_CANDIDATE
from services.scheduler.findings.sql_parts import (
    ROUNDS_IN_FORCE,
    TASK_SUBJECT,
    iso,
    lag_ladder,
    latest_accepted,
    period_end,
)

__all__ = ["EVALUATIONS", "RED_LETTERS", "evaluation", "period_end", "sweep"]


REPORT_DEADLINE = f"""
SELECT 'report_task' AS subject_type, t.id AS subject_id, t.period_key, t.round_id, t.entity_id,
       t.entity_kind, t.entity_name, t.region_code, t.lead_department_code,
       CASE WHEN d.days_to_due <= -CAST(:red_overdue_days AS int) THEN 'red'
            WHEN d.days_to_due <= 0 THEN 'yellow'
            WHEN d.days_to_due <= CAST(:blue_within_days AS int) THEN 'blue' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'due_on', {iso("r.due_on")}, 'today', {iso("d.today")},
           'submitted', false, 'days_to_due', d.days_to_due,
           'blue_within_days', CAST(:blue_within_days AS int), 'red_overdue_days', CAST(:red_overdue_days AS int)
       ) AS explanation
FROM scheduler.report_task t
JOIN {ROUNDS_IN_FORCE} r ON r.id = t.round_id
CROSS JOIN LATERAL (SELECT r.today, r.due_on - r.today AS days_to_due) d
WHERE t.state IN ('pending', 'returned')
"""  # noqa: S608 - this module's constants only

INVESTMENT_LAG = lag_ladder(
    subject=(
        "'project' AS subject_type, l.entity_id AS subject_id, l.year::text AS period_key, l.round_id, l.entity_id, "
        "l.entity_kind, l.entity_name, l.region_code, l.lead_department_code"
    ),
    source=latest_accepted(
        "'project'",
        "t.figures ? 'investment_ytd'",
        "t.figures ->> 'investment_ytd' AS ytd_text, "
        "coalesce(t.facts -> 'annual_plans' ->> rr.year::text, '0') AS plan_text",
    ),
    amounts="SELECT l.ytd_text::numeric AS actual, l.plan_text::numeric AS full_year",
    inputs="'investment_ytd', l.ytd_text, 'annual_plan', l.plan_text",
)

_ACCEPTED_STAGES = f"""
SELECT {TASK_SUBJECT}, t.facts ->> 'signed_on' AS signed_on_text, t.figures ->> 'stage' AS stage, r.today,
       row_number() OVER w AS rn,
       (row_number() OVER w = 1
        OR t.figures ->> 'stage' IS DISTINCT FROM lag(t.figures ->> 'stage') OVER w
        OR (CAST(:investment_counts_as_progress AS boolean)
            AND coalesce((t.figures ->> 'investment_period')::numeric, 0) > 0)) AS moved
FROM scheduler.report_task t
JOIN {ROUNDS_IN_FORCE} r ON r.id = t.round_id
WHERE t.entity_kind = 'project' AND t.state = 'accepted' AND t.figures ? 'stage'
WINDOW w AS (PARTITION BY t.entity_id ORDER BY t.period_key, t.accepted_at, t.id)
"""  # noqa: S608 - this module's constants only

STALLED_PROJECT = f"""
WITH acc AS ({_ACCEPTED_STAGES}),
agg AS (SELECT entity_id, max(rn) AS n, max(rn) FILTER (WHERE moved) AS last_move FROM acc GROUP BY entity_id),
cur AS (
    SELECT a.*, g.n - g.last_move AS still,
           a.stage IN ('completed', 'in_operation') AS finished,
           CASE WHEN a.signed_on_text IS NOT NULL AND a.stage IN ('planning', 'signed')
                THEN a.signed_on_text::date END AS signed_on
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
           'version', CAST(:version AS text), 'stage', m.stage, 'as_of', {iso("m.today")},
           'yellow_rounds', CAST(:yellow_rounds AS int), 'red_rounds', CAST(:red_rounds AS int),
           'yellow_months', CAST(:yellow_months AS int), 'red_months', CAST(:red_months AS int),
           'investment_counts_as_progress', CAST(:investment_counts_as_progress AS boolean)
       ) || CASE
           WHEN m.finished THEN jsonb_build_object('reason', 'finished')
           WHEN m.signed_on IS NOT NULL THEN jsonb_build_object(
               'rounds_without_movement', m.still, 'signed_on', {iso("m.signed_on")},
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
           'version', CAST(:version AS text), 'due_on', {iso("pr.due_on")}, 'today', {iso("d.today")},
           'resolved', false, 'days_overdue', d.days_overdue,
           'yellow_overdue_days', CAST(:yellow_overdue_days AS int), 'red_overdue_days', CAST(:red_overdue_days AS int)
       ) AS explanation
FROM scheduler.problem pr
CROSS JOIN LATERAL (SELECT (CAST(:now AS timestamptz) AT TIME ZONE CAST(:zone AS text))::date AS today) td
CROSS JOIN LATERAL (SELECT td.today, td.today - pr.due_on AS days_overdue) d
WHERE pr.state IN ('open', 'in_progress')
"""  # noqa: S608 - this module's constants only

# A receipt has no id of its own: its subject id is derived from (circular, unit). A department signs
# for itself and is filed under the province; a region under its own code. The explanation is the
# rule's, plus the receipt it is about.
CIRCULAR_UNSIGNED = f"""
SELECT 'receipt' AS subject_type,
       md5(u.circular_id::text || ':' || u.unit_type || ':' || u.unit_code)::uuid AS subject_id,
       '-' AS period_key, NULL::uuid AS round_id, NULL::uuid AS entity_id, NULL AS entity_kind,
       u.title AS entity_name,
       CASE WHEN u.unit_type = 'region' THEN u.unit_code ELSE '430000' END AS region_code,
       CASE WHEN u.unit_type = 'department' THEN u.unit_code END AS lead_department_code,
       CASE WHEN d.days_unsigned >= CAST(:red_after_days AS int) THEN 'red'
            WHEN d.days_unsigned >= CAST(:yellow_after_days AS int) THEN 'yellow' END AS colour,
       jsonb_build_object(
           'version', CAST(:version AS text), 'issued_on', {iso("d.issued_on")}, 'today', {iso("d.today")},
           'signed', false, 'days_unsigned', d.days_unsigned,
           'yellow_after_days', CAST(:yellow_after_days AS int), 'red_after_days', CAST(:red_after_days AS int),
           'circular_id', u.circular_id::text, 'document_number', u.document_number,
           'unit_type', u.unit_type, 'unit_code', u.unit_code
       ) AS explanation
FROM scheduler.unsigned_receipt u
CROSS JOIN LATERAL (
    SELECT (CAST(:now AS timestamptz) AT TIME ZONE CAST(:zone AS text))::date AS today,
           (u.published_at AT TIME ZONE CAST(:zone AS text))::date AS issued_on
) td
CROSS JOIN LATERAL (SELECT td.today, td.issued_on, td.today - td.issued_on AS days_unsigned) d
"""  # noqa: S608 - this module's constants only

EVALUATIONS = {
    "report_deadline": REPORT_DEADLINE,
    "investment_lag": INVESTMENT_LAG,
    "stalled_project": STALLED_PROJECT,
    "pace_below_tier": PACE_BELOW_TIER,
    "promotion_candidate": PROMOTION_CANDIDATE,
    "problem_overdue": PROBLEM_OVERDUE,
    "circular_unsigned": CIRCULAR_UNSIGNED,
}
_COLUMNS = (
    "subject_type, subject_id, period_key, round_id, entity_id, entity_kind, entity_name, region_code, "
    "lead_department_code"
)


def evaluation(rule: str) -> TextClause:
    """The rule's evaluation alone (every candidate, colour or NULL): what the tests compare with rules.py."""
    return text(EVALUATIONS[rule])


def sweep(rule: str) -> TextClause:
    """The rule's whole sweep: upsert the findings that have a colour, step down or resolve the rest.

    The rest are found by one anti-join of the rule's unresolved findings with the evaluation (hashed),
    which also brings each one's latest explanation along: no per-row subquery over `eval`."""
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
    WHERE f.state = 'resolved' OR f.colour IS DISTINCT FROM ({new_colour})
       OR f.explanation IS DISTINCT FROM excluded.explanation OR f.rule_version <> excluded.rule_version
       OR f.round_id IS DISTINCT FROM excluded.round_id OR f.entity_name IS DISTINCT FROM excluded.entity_name
    RETURNING f.id
),
gone AS (
    SELECT o.id, e.explanation
    FROM scheduler.finding o
    LEFT JOIN eval e ON e.subject_id = o.subject_id AND e.period_key = o.period_key
    WHERE o.rule_code = CAST(:rule AS text) AND o.state <> 'resolved' AND e.colour IS NULL
),
cleared AS (
    UPDATE scheduler.finding f SET
        colour = CASE WHEN {step_down} THEN 'yellow' ELSE f.colour END,
        state = CASE WHEN {step_down} THEN f.state ELSE 'resolved' END,
        resolved_at = CASE WHEN {step_down} THEN NULL ELSE CAST(:now AS timestamptz) END,
        explanation = coalesce(g.explanation, f.explanation),
        evaluated_at = CAST(:now AS timestamptz),
        version = f.version + 1,
        updated_at = now()
    FROM gone g
    WHERE f.id = g.id
    RETURNING f.id
)
SELECT (SELECT count(*) FROM upserted) AS upserted, (SELECT count(*) FROM cleared) AS cleared
""")  # noqa: S608 - this module's constants only


# `circulars.compose.red_finding_letter`, set-wise: every red finding not yet notified gets its
# supervision letter in the outbox (kept once per key) and becomes `notified`, in one statement.
# Rows another sweep holds are skipped, as before. The tests compare each payload with the function's.
RED_LETTERS = text("""
WITH red AS (
    SELECT f.id, f.rule_code, f.rule_version, f.region_code, f.lead_department_code, f.explanation,
           coalesce(nullif(f.entity_name, ''), f.region_code) AS name
    FROM scheduler.finding f
    WHERE f.colour = 'red' AND f.state <> 'resolved' AND f.red_notified_at IS NULL
    FOR UPDATE SKIP LOCKED
),
queued AS (
    INSERT INTO scheduler.outbox_message (peer, operation, idempotency_key, payload)
    SELECT CAST(:peer AS text), CAST(:operation AS text), 'scheduler:finding:' || r.id::text, jsonb_build_object(
        'kind', 'supervision_letter',
        'title', left('关于' || r.name || CAST(:red_label AS text) || '的督办函', 200),
        'body', '经督导规则 ' || r.rule_code || '（第 ' || r.rule_version::text || ' 版）核查，'
                || r.name || '触发' || CAST(:red_label AS text) || '，请抓紧整改。',
        'data', jsonb_build_object('finding_id', r.id::text, 'rule', r.rule_code, 'explanation', r.explanation),
        'issuer', 'wqb_office',
        'urgency', 'urgent',
        'audience', jsonb_build_object(
            'regions', jsonb_build_array(r.region_code),
            'departments', CASE WHEN coalesce(r.lead_department_code, '') <> ''
                                THEN jsonb_build_array(r.lead_department_code) ELSE '[]'::jsonb END,
            'topics', '[]'::jsonb,
            'subscribers', '[]'::jsonb),
        'recipients', '[]'::jsonb,
        'reply_deadline', NULL,
        'source', jsonb_build_object('type', 'finding', 'id', r.id::text),
        'publish', true)
    FROM red r
    ON CONFLICT (peer, idempotency_key) DO NOTHING
),
marked AS (
    UPDATE scheduler.finding f SET
        red_notified_at = CAST(:now AS timestamptz),
        state = coalesce(nullif(f.state, 'open'), 'notified'),
        version = f.version + 1,
        updated_at = now()
    FROM red r
    WHERE f.id = r.id
    RETURNING f.id
)
SELECT count(*) FROM marked
""")
