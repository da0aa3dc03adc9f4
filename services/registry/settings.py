from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    port: int = Field(default=8001, alias="REGISTRY_PORT")
    import_batch_size: int = Field(default=2000, description="Rows an import writes per statement batch.")
    import_max_rows: int = Field(default=200_000)
