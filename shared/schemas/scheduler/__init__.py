"""Wire schemas of the scheduler: what a client of its API (a frontend, a peer's typed client) sends
and receives.

`enums.py` holds its enumerations with their Chinese labels (also the codes its domain core uses),
`actions/` the request bodies, `responses/` what comes back, by feature. Models only the scheduler
itself uses (its query parameters, the calendar's admin bodies) live with their features in
`services/scheduler/<feature>/`.
"""
