"""Typed, frozen settings read from the environment / ``.env`` (prefix ``GHTRADER_``).

Only entry points (CLI, DAG tasks, daemons) call :func:`load_settings`; everything below them
receives the frozen object explicitly. Credentials are ``SecretStr`` so they never print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration of one ghTrader process."""

    model_config = SettingsConfigDict(
        env_prefix="GHTRADER_", env_file=".env", env_file_encoding="utf-8", frozen=True, extra="ignore"
    )

    data_dir: Path = Path("data")
    runs_dir: Path = Path("runs")
    sim_seed: int = 20250303
    log_level: str = "INFO"
    holiday_url: str | None = Field(default=None, validation_alias="TQ_CHINESE_HOLIDAY_URL")
    # TqSdk credentials (no GHTRADER_ prefix, as TqSdk users know them)
    tqsdk_user: str | None = Field(default=None, validation_alias="TQSDK_USER")
    tqsdk_password: SecretStr | None = Field(default=None, validation_alias="TQSDK_PASSWORD")
    # QuestDB (canonical store in production when host is set)
    questdb_host: str | None = None
    questdb_ilp_port: int = 9000
    questdb_pg_port: int = 8812
    questdb_user: str = "admin"
    questdb_password: SecretStr = SecretStr("quest")
    questdb_database: str = "qdb"
    # live trading gate (step 1 of 2; step 2 is ``--confirm-live I_UNDERSTAND``)
    live_enabled: bool = False

    @field_validator("live_enabled", mode="before")
    @classmethod
    def _strict_live(cls, value: Any) -> bool:
        """Only the literal ``true`` (any case) enables live trading; "1", "yes", "on" do not."""
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake_v2"


def load_settings(env_file: Path | None = Path(".env"), **overrides: Any) -> Settings:
    """Read settings from the environment and ``env_file``; explicit overrides win."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(_env_file=env_file, **clean)  # type: ignore[call-arg]
