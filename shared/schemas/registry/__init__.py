"""Wire schemas of the registry: what its typed client (`shared.clients.registry`) sends and receives.

`actions/` holds the request bodies, `responses/` what comes back, each by feature. Only what a peer
exchanges with the registry is here (and what those models are made of); the registry's other
request and response models live with their features in `services/registry/<feature>/schemas.py`,
and move here when a peer's client needs them.
"""
