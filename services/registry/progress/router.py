from shared.app import api_router

router = api_router()
