"""Wire schemas of notify: what its typed client (`shared.clients.notify`) sends and receives.

`enums` holds notify's enumerations (each code with its Chinese label, listed by `/api/v1/enums`),
`actions/` the request bodies and `responses/` what comes back. notify's other request and response
models live with their features in `services/notify/<feature>/schemas.py`.
"""
