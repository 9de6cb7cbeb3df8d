"""Settings of the national export (``DANGAN_NATIONAL_*``), read once by the CLI entry point."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NationalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DANGAN_NATIONAL_", extra="ignore")

    endpoint: str | None = Field(default=None, description="HTTP endpoint; unset = no submission")
    token: str | None = Field(default=None, description="bearer token for the endpoint")
    retries: int = 4
    backoff: float = 0.5
    mapping_version: str = "v1"
    pdf: bool = Field(default=True, description="write a searchable PDF per book")
