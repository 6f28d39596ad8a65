"""Settings from DATASKYDD_* environment variables, validated once at start-up."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import as_msg


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
    # A directory of data map files, one per system (docs/data-map.md). Unset: the bundled
    # map of the built-in register, which names the bundled policy's categories.
    data_map: Path | None = None
    # Connection URLs of the other systems the data map names, as a YAML mapping of system
    # key to URL; readable by its owner only. DATASKYDD_SYSTEM_<KEY>_URL overrides an entry.
    # URLs are never written in a map file, which is reviewed and versioned like the policy.
    systems_secrets_file: Path | None = None
    # Secure cookies need HTTPS; browsers also accept them on http://localhost, which is how
    # the demo runs. Turn off only behind a proxy that terminates TLS and speaks plain HTTP.
    cookie_secure: bool = True
    # Every staff account must use two-step verification: an account without it can only set
    # it up (My account) after signing in, and cannot turn it off.
    require_two_factor: bool = False
    # smtp://host:25, smtp+starttls://host:587 or smtps://host:465 (user:password@ to log in).
    # Unset: mail stays in the outbox, shown in the staff UI and by `dataskydd outbox`.
    smtp_url: str | None = None
    mail_sender: str = "dataskydd@localhost"
    # For tests and operations: overrides the policy's session_inactivity_minutes.
    session_inactivity_seconds: int | None = None
    # Web origins (https://www.example.se, comma-separated) whose pages embed consent.js and
    # may call /consent and /collect across origins. The dataskydd host itself needs no entry.
    consent_origins: str = ""
    # /collect and the pixel answer only after the event's transaction has committed; one
    # writer per process commits whatever is queued as one batch (events queue while the last
    # commit runs). It waits up to this long for more events to join a batch (0: commit at once).
    # At most `collect_queue_limit` events wait; beyond that, and for events that cannot be
    # written, the answer is 503 Retry-After (docs/configuration.md).
    collect_batch_seconds: float = Field(default=0.0, ge=0, le=1)
    collect_queue_limit: int = Field(default=10_000, ge=1)
    # Addresses and networks (127.0.0.1, 10.0.0.0/8, comma-separated) of the reverse proxies
    # whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty: no proxy header is; the
    # client is the connection's peer. Rate limits count per client, so a header believed
    # from anyone else would let a client pick its own address.
    trusted_proxies: str = ""
    # The address the public reaches this server at (https://dataskydd.example.se): every link
    # put in mail starts with it, never with the Host header of a request. See docs/scaling.md.
    public_base_url: str | None = None
    # Admission control per server process (web/admission.py, docs/scaling.md): at most this
    # many requests at work at once, each holding at most one database connection (the
    # PostgreSQL pool is sized to match, so workers x this must stay below the server's
    # max_connections); up to `queued_requests` more wait at most `queue_wait_seconds`;
    # beyond that the answer is 503 with Retry-After at once.
    concurrent_requests: int = Field(default=20, ge=1, le=1000)
    queued_requests: int = Field(default=1000, ge=0, le=100_000)
    queue_wait_seconds: float = Field(default=10.0, gt=0, le=120)
    # The job queue (docs/jobs.md). Unset: beside an SQLite database (dataskydd.db →
    # dataskydd.jobs.db), or the same PostgreSQL database (tables job_queue_*). Set: a path or
    # sqlite:///path of its own SQLite file, or a postgresql:// URL.
    jobs_url: str | None = None
    # Retention runs (docs/retention.md): rows erased per transaction, so no lock is held long.
    retention_batch_size: int = Field(default=1000, ge=10, le=100_000)
    # When the job runner starts the daily retention run, HH:MM in Swedish time (docs/jobs.md).
    retention_at: str = Field(default="03:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Recipients' agreements (docs/recipients.md): the largest agreement document accepted,
    # in bytes (checked before the upload is read); how many days before a review date the
    # DPO is reminded; how old an EU-US Data Privacy Framework list check may be.
    recipient_document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024**2)
    recipient_review_notice_days: int = Field(default=30, ge=1, le=365)
    dpf_check_valid_days: int = Field(default=365, ge=1, le=3650)

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (use `dataskydd init` to make one)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in _items(value):
            if item == "*":
                raise ValueError("'*' would believe any client's claimed address; list proxies")
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return ",".join(_items(value))

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute URL such as https://dataskydd.example.se")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must not carry a query, a fragment or credentials")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("must use https (links in mail lead to personal data)")
        return value.strip().rstrip("/")

    @property
    def retention_time(self) -> tuple[int, int]:
        """(hour, minute) of `retention_at`, in Swedish time."""
        hours, minutes = self.retention_at.split(":")
        return int(hours), int(minutes)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def is_loopback(host: str | None) -> bool:
    """Whether `host` (an address or a name) is this machine only."""
    if not host:
        return False
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


S = TypeVar("S", bound=BaseSettings)


@lru_cache
def get_settings() -> Settings:
    return build_settings(Settings)


def build_settings(kind: type[S]) -> S:
    """Settings of `kind` from the environment; ConfigurationError naming each bad variable
    and its rule, never its value (it may be a secret), so every command and the server stop
    on one line."""
    try:
        return kind()
    except ValidationError as error:
        prefix = kind.model_config.get("env_prefix") or ""
        problems = "; ".join(
            f"{prefix}{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        )
        raise ConfigurationError(as_msg(problems)) from None
