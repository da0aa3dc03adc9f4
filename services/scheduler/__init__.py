"""The scheduler service: periodic dispatch (定期调度) and supervision (督促督办).

Its domain core (calendar, periods, schedule, templates, rules, scoring, escalation) is pure: no
I/O, no web framework, no database, time always an argument.
"""
