"""Settings of every function, validated once at cold start.

In AWS the secrets come from Secrets Manager (DB_SECRET_ARN holds the standard RDS secret JSON,
SESSION_SECRET_ARN the token-signing key, SEARCH_PROBE_KEY_SECRET_ARN the phone-search budget's HMAC key); locally
they come straight from the environment. Each function is given only the secrets it reads (template.yaml): only the
authorizer holds the session-signing key, since whoever holds it can forge a session of any role and tenant.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel, Field, SecretStr, field_validator

from aurion.db_url import check_database_url


class Settings(BaseModel):
    db_url: SecretStr = Field(description="postgresql://user:password@host:port/dbname of the app role")
    # Below the Lambda timeout (29 s at API Gateway) so a slow query fails as a clean 503, never a hang.
    db_statement_timeout_ms: int = Field(default=10_000, ge=100, le=25_000)
    # A wedged database (or proxy) must turn into a 503 the client can retry within 5 s; a healthy one in the
    # same VPC connects in milliseconds.
    db_connect_timeout_s: float = Field(default=3.0, gt=0, le=20)
    # Only the authorizer is given it; elsewhere it is absent (None) and nothing reads it.
    session_secret: SecretStr | None = None
    # The key of the phone-search probes' HMAC (aurion.search_budget); only the call search is given it. Locally,
    # without its own value, it is the session secret (one secret to manage in a dev stack).
    search_probe_key: SecretStr | None = None
    # What a session token's iss and aud must say (aurion.auth.tokens; local issuers use the same defaults).
    session_issuer: str = "aurion-dashboard"
    session_audience: str = "aurion-analytics"
    cors_allowed_origins: list[str] = Field(default_factory=lambda: ["http://localhost:5173"])
    redis_url: str | None = None
    aws_endpoint_url: str | None = None
    exports_bucket: str | None = None
    exports_queue_url: str | None = None
    # The rollup queue: the aggregator's dispatcher sends to it, its worker consumes it.
    aggregator_queue_url: str | None = None

    @field_validator("db_url")
    @classmethod
    def _usable_database_url(cls, value: SecretStr) -> SecretStr:
        # A wrong scheme or sslmode fails the cold start, not the first request.
        check_database_url(value.get_secret_value())
        return value

    @field_validator("session_secret", "search_probe_key")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("the session-signing and probe keys must be at least 32 characters (HS256)")
        return value

    def signing_secret(self) -> str:
        """The session-signing key; a function not given SESSION_SECRET_ARN has none and must not sign or verify."""
        if self.session_secret is None:
            raise RuntimeError("no session-signing secret: SESSION_SECRET_ARN (or AURION_SESSION_SECRET) is not set")
        return self.session_secret.get_secret_value()

    def probe_key(self) -> str:
        """The phone-search probes' HMAC key (SEARCH_PROBE_KEY_SECRET_ARN)."""
        if self.search_probe_key is None:
            raise RuntimeError("no search probe key: SEARCH_PROBE_KEY_SECRET_ARN (or AURION_SESSION_SECRET) is not set")
        return self.search_probe_key.get_secret_value()

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


def _secret_string(arn: str) -> str:
    # Only in AWS (locally the secrets are plain environment variables): Parameters loads boto3, and adds 3 to 11 ms
    # to it. Its cache spares Secrets Manager a second call when settings are built again in the same environment.
    from aws_lambda_powertools.utilities.parameters import get_secret

    return str(get_secret(arn))


def _db_url_from_rds_secret(secret: str, env: dict[str, str]) -> str:
    """The app role's URL from the standard RDS secret; DB_SSL_MODE / DB_SSL_ROOT_CERT choose TLS (aurion/db.py).

    DB_HOST, when set, replaces the secret's host: the stack's secret names the cluster (RDS fills it in), the
    functions connect through RDS Proxy, whose name verify-full checks.
    """
    data = json.loads(secret)
    user = quote(data["username"], safe="")
    password = quote(data["password"], safe="")
    host = env.get("DB_HOST") or data["host"]
    url = f"postgresql://{user}:{password}@{host}:{data.get('port', 5432)}/{data.get('dbname', 'aurion')}"
    tls = {"sslmode": env.get("DB_SSL_MODE"), "sslrootcert": env.get("DB_SSL_ROOT_CERT")}
    query = urlencode({name: value for name, value in tls.items() if value})
    return f"{url}?{query}" if query else url


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    if env.get("DB_SECRET_ARN"):
        values["db_url"] = _db_url_from_rds_secret(_secret_string(env["DB_SECRET_ARN"]), env)
    elif env.get("AURION_DB_URL"):
        values["db_url"] = env["AURION_DB_URL"]
    if env.get("SESSION_SECRET_ARN"):
        values["session_secret"] = _secret_string(env["SESSION_SECRET_ARN"])
    elif env.get("AURION_SESSION_SECRET"):
        values["session_secret"] = env["AURION_SESSION_SECRET"]
    if env.get("SEARCH_PROBE_KEY_SECRET_ARN"):
        values["search_probe_key"] = _secret_string(env["SEARCH_PROBE_KEY_SECRET_ARN"])
    elif env.get("AURION_SEARCH_PROBE_KEY") or env.get("AURION_SESSION_SECRET"):
        values["search_probe_key"] = env.get("AURION_SEARCH_PROBE_KEY") or env["AURION_SESSION_SECRET"]
    optional = {
        "DB_STATEMENT_TIMEOUT_MS": "db_statement_timeout_ms",
        "CORS_ALLOWED_ORIGINS": "cors_allowed_origins",
        "REDIS_URL": "redis_url",
        "SESSION_ISSUER": "session_issuer",
        "SESSION_AUDIENCE": "session_audience",
        "AWS_ENDPOINT_URL": "aws_endpoint_url",
        "EXPORTS_BUCKET": "exports_bucket",
        "EXPORTS_QUEUE_URL": "exports_queue_url",
        "AGGREGATOR_QUEUE_URL": "aggregator_queue_url",
    }
    for name, field in optional.items():
        if env.get(name):
            values[field] = env[name]
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
