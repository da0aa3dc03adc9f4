from services.notify.models import SCHEMA, metadata
from shared.migrate import run_env

run_env(SCHEMA, metadata)
