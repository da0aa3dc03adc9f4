"""Benchmarks of the registry against a minimal Starlette + asyncpg baseline (`make bench`).

One module per job: `settings` (knobs), `seed` (the data set), `baseline` (the reference app),
`server` (running an app under uvicorn), `procstat` (RSS and CPU of a process), `load` (wrk),
`samples` (same-JSON check), `progress` and `imports` (the single-request targets), `report`
(docs/benchmarks.md and bench/results/*.json) and `run` (the order of it all).
"""
