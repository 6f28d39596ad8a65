"""Settings from DATASKYDD_* environment variables, validated once at start-up."""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATASKYDD_", extra="ignore")

    database_url: str = "sqlite:///dataskydd.db"
    # Where `init` writes the key when DATASKYDD_SECRET_KEY is not set. Keep it off the
    # database host's backups: a database copy without the key does not reveal personnummer.
    key_file: Path = Path("dataskydd.key")
    secret_key: SecretStr | None = None
    # Signed audit checkpoints, one JSON line each (docs/audit.md). Unset: beside the key file.
    # Keep a copy where the database's administrators cannot write (WORM store, DPO's mail).
    audit_checkpoint_file: Path | None = None
    policy_file: Path | None = None
    # Secure cookies need HTTPS; browsers also accept them on http://localhost, which is how
    # the demo runs. Turn off only behind a proxy that terminates TLS and speaks plain HTTP.
    cookie_secure: bool = True
    # smtp://host:25, smtp+starttls://host:587 or smtps://host:465 (user:password@ to log in).
    # Unset: mail stays in the outbox, shown in the staff UI and by `dataskydd outbox`.
    smtp_url: str | None = None
    mail_sender: str = "dataskydd@localhost"
    # For tests and operations: overrides the policy's session_inactivity_minutes.
    session_inactivity_seconds: int | None = None
    # Web origins (https://www.example.se, comma-separated) whose pages embed consent.js and
    # may call /consent and /collect across origins. The dataskydd host itself needs no entry.
    consent_origins: str = ""
    # Above 0, /collect queues events and writes them in one transaction this often (one
    # worker's throughput); 0 writes each event in its own request's transaction.
    collect_batch_seconds: float = 0.0

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (use `dataskydd init` to make one)")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
