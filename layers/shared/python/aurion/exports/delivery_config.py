"""Settings of export delivery (e-mail and webhooks), read from the environment once per execution environment.

The webhook key derives every destination's signing secret (aurion.exports.webhooks): in AWS it comes from
Secrets Manager (WEBHOOK_KEY_SECRET_ARN), locally from AURION_WEBHOOK_KEY or, in a dev stack, the session secret.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, SecretStr

from aurion.errors import ServiceUnavailable


class DeliveryConfig(BaseModel):
    queue_url: str | None = None
    # The SES identity every e-mail is sent from (the template scopes ses:SendEmail to it).
    email_sender: str | None = None
    webhook_key: SecretStr | None = Field(default=None, min_length=32)
    # Only the dev stack sets this: a webhook may then target loopback or private addresses (a local receiver).
    allow_private_webhooks: bool = False
    # A destination whose deliveries fail this many times in a row (each after its retries) is switched off.
    max_consecutive_failures: int = Field(default=3, ge=1, le=100)
    # Must equal the delivery queue's maxReceiveCount: on that receive a failed delivery is final.
    max_receives: int = Field(default=4, ge=1, le=100)
    # Backoff before attempt n+1: base x 2^(n-1) seconds, at most 15 minutes (SQS visibility change).
    retry_base_seconds: int = Field(default=30, ge=0, le=900)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How long an e-mail address may take to confirm its verification token.
    verification_hours: int = Field(default=48, ge=1, le=24 * 14)
    # The API's own URL (stage included): delivered links point at its tokenised download route.
    link_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+$")

    def require_queue(self) -> str:
        if not self.queue_url:
            raise ServiceUnavailable("Export delivery is not configured (EXPORT_DELIVERY_QUEUE_URL)")
        return self.queue_url

    def require_sender(self) -> str:
        if not self.email_sender:
            raise ServiceUnavailable("E-mail delivery is not configured (EXPORT_EMAIL_SENDER)")
        return self.email_sender

    def require_link_base(self) -> str:
        if not self.link_base_url:
            raise ServiceUnavailable("Delivered download links are not configured (EXPORT_LINK_BASE_URL)")
        return self.link_base_url

    def signing_key(self) -> bytes:
        if self.webhook_key is None:
            raise ServiceUnavailable("Webhook delivery is not configured (WEBHOOK_KEY_SECRET_ARN)")
        return self.webhook_key.get_secret_value().encode()


_ENV = {
    "EXPORT_DELIVERY_QUEUE_URL": "queue_url",
    "EXPORT_EMAIL_SENDER": "email_sender",
    "EXPORT_WEBHOOK_ALLOW_PRIVATE": "allow_private_webhooks",
    "EXPORT_DELIVERY_MAX_FAILURES": "max_consecutive_failures",
    "EXPORT_DELIVERY_MAX_RECEIVES": "max_receives",
    "EXPORT_DELIVERY_RETRY_BASE_SECONDS": "retry_base_seconds",
    "EXPORT_WEBHOOK_TIMEOUT_SECONDS": "webhook_timeout_seconds",
    "EXPORT_LINK_BASE_URL": "link_base_url",
}


def load_delivery_config(env: dict[str, str] | None = None) -> DeliveryConfig:
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {field: env[name] for name, field in _ENV.items() if env.get(name)}
    if env.get("WEBHOOK_KEY_SECRET_ARN"):
        from aws_lambda_powertools.utilities.parameters import get_secret

        values["webhook_key"] = str(get_secret(env["WEBHOOK_KEY_SECRET_ARN"]))
    elif env.get("AURION_WEBHOOK_KEY") or env.get("AURION_SESSION_SECRET"):
        values["webhook_key"] = env.get("AURION_WEBHOOK_KEY") or env["AURION_SESSION_SECRET"]
    return DeliveryConfig.model_validate(values)


@lru_cache(maxsize=1)
def get_delivery_config() -> DeliveryConfig:
    return load_delivery_config()
