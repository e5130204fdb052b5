"""Settings: one `Settings` object, read from the environment with the prefix ``DIGNITY_``.

Defaults run the embedded deployment (SQLite and key files under ``./var/``). Production values come
from the environment or from secret files; a validator refuses the development secret outside
development. Every field is documented in ``docs/settings.md`` (``tests/test_docs.py`` checks).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "dignity-development-secret-do-not-use-in-production"  # noqa: S105 (a marker, refused outside development)

RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "ha", "he", "khw", "ks", "ps", "sd", "ur", "yi"}
)


class Settings(BaseSettings):
    """Runtime configuration. Build it explicitly in tests; use `get_settings()` elsewhere."""

    model_config = SettingsConfigDict(env_prefix="DIGNITY_", extra="forbid", frozen=True)

    # Deployment mode: only "development" accepts the built-in development secret.
    env: Literal["development", "test", "production"] = "development"
    # Where the embedded deployment keeps its files: the SQLite database, keys and witness copies.
    data_dir: Path = Path("var")
    # SQLAlchemy URL of the store; empty means the SQLite file `<data_dir>/dignity.db`.
    database_url: str = ""
    # Server-side secret (pepper for token hashes); set it from a secret store in production.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # Ed25519 private key (PEM) that signs audit checkpoints; created on first use when missing.
    audit_signing_key_file: Path | None = None
    # A signed checkpoint of the audit log is made after this many new events.
    audit_checkpoint_every: int = Field(default=100, ge=1)
    # ...or after this many minutes, when at least one event was added since the last checkpoint.
    audit_checkpoint_minutes: int = Field(default=10, ge=1)
    # Directory that receives a copy of every checkpoint, as the outside witness of the log.
    audit_witness_dir: Path | None = None
    # Directory of the encrypted evidence blob store; None = `<data_dir>/evidence`.
    blob_dir: Path | None = None
    # Ed25519 private key (PEM) that signs evidence export bundles; created on first use (0600).
    evidence_signing_key_file: Path | None = None
    # Largest evidence file accepted, in bytes (refused while it streams in, nothing stored).
    evidence_max_bytes: int = Field(default=4 * 1024**3, ge=1)
    # Directory of the versioned key-encryption keys (`v1.key`, `v2.key`, ...); never in the DB.
    kek_dir: Path | None = None
    # Staff sessions end after this many minutes without a request (at most 30).
    session_idle_minutes: int = Field(default=30, ge=1, le=30)
    # Staff sessions end this many hours after sign-in, however active.
    session_max_hours: int = Field(default=12, ge=1, le=24)
    # Sign-in attempts allowed per account within the throttle window before it is refused.
    login_max_failures: int = Field(default=5, ge=1)
    # Length of the per-account sign-in throttle window, in seconds.
    login_window_seconds: int = Field(default=60, ge=1)
    # Minutes a fresh MFA code (step-up) stays valid for bulk exports.
    step_up_minutes: int = Field(default=5, ge=1, le=60)
    # Bulk exports one account may make per hour; more are refused and raise an alert.
    export_limit_per_hour: int = Field(default=10, ge=1)
    # Directory of the list snapshots shipped with Dignity, which `make run` loads.
    bundled_dir: Path = Path("data/bundled")
    # A list whose latest version is older than this many days is shown with a staleness warning.
    list_stale_days: int = Field(default=7, ge=1)
    # Largest file the batch screening page accepts, in megabytes (refused while it is uploaded).
    screening_upload_max_mb: int = Field(default=20, ge=1, le=1024)
    # Most rows a file screened on the batch screening page may have (the CLI has no cap).
    screening_batch_max_rows: int = Field(default=50_000, ge=1)
    # Minutes the results of a batch screening stay on the server when nobody downloads them.
    screening_batch_expiry_minutes: int = Field(default=60, ge=1, le=1440)
    # Address `dignity serve` binds to; keep it on loopback unless a reverse proxy terminates TLS.
    host: str = "127.0.0.1"
    # Port `dignity serve` listens on.
    port: int = Field(default=8000, ge=1, le=65535)
    # Set when the app is served over HTTPS: turns on HSTS.
    https: bool = False
    # Directory of local vocabulary terms (YAML) merged into the shipped thesauri; None = none.
    vocab_local_dir: Path | None = None
    # Language of the interface (BCP 47 primary tag); right-to-left languages flip the layout.
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    # Log level of the server and command line.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env != "development" and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
            msg = (
                f"DIGNITY_SECRET_KEY is the development default but DIGNITY_ENV is {self.env!r}; "
                "set a secret of at least 32 random characters"
            )
            raise ValueError(msg)
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("DIGNITY_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The store URL, defaulting to the SQLite file under `data_dir`."""
        return self.database_url or f"sqlite:///{self.data_dir / 'dignity.db'}"

    @property
    def signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.data_dir / "keys" / "audit-ed25519.pem"

    @property
    def key_dir(self) -> Path:
        return self.kek_dir or self.data_dir / "keys" / "kek"

    @property
    def evidence_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "evidence"

    @property
    def evidence_signing_key_path(self) -> Path:
        return self.evidence_signing_key_file or self.data_dir / "keys" / "evidence-ed25519.pem"

    @property
    def witness_dir(self) -> Path:
        return self.audit_witness_dir or self.data_dir / "witness"

    @property
    def text_direction(self) -> Literal["ltr", "rtl"]:
        return "rtl" if self.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
