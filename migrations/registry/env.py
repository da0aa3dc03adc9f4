from services.registry.models import SCHEMA, Base
from shared.migrate import run_env

run_env(SCHEMA, Base.metadata)
