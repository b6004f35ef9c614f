"""Settings in AWS: the app role's URL and the session-signing key come from Secrets Manager (moto here), read
through Powertools Parameters and cached, so building settings again in the same environment asks once.
"""

from __future__ import annotations

import json

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches
from moto import mock_aws

from aurion.settings import load_settings

REGION = "eu-west-1"
SESSION_KEY = "a-session-signing-key-of-at-least-32-characters"


@pytest.fixture
def secrets(monkeypatch):
    """Secrets Manager in moto with the standard RDS secret of the app role and the session key."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_caches()
        client = boto3.client("secretsmanager", region_name=REGION)
        rds = {"username": "aurion@app", "password": "p/w:1", "host": "db.internal", "port": 5433, "dbname": "aurion"}
        db_arn = client.create_secret(Name="aurion/db", SecretString=json.dumps(rds))["ARN"]
        session_arn = client.create_secret(Name="aurion/session", SecretString=SESSION_KEY)["ARN"]
        yield client, {"DB_SECRET_ARN": db_arn, "SESSION_SECRET_ARN": session_arn}
        clear_caches()


def test_settings_read_the_database_url_and_session_key_from_secrets_manager(secrets):
    # Given the two secrets' ARNs and a verified TLS mode, as the template passes them
    _, arns = secrets
    env = {**arns, "DB_SSL_MODE": "verify-full", "DB_SSL_ROOT_CERT": "/opt/rds-ca.pem"}
    # When settings load
    settings = load_settings(env)
    # Then the URL is the RDS secret's, its user and password escaped, with the TLS options; the key is the secret's
    assert settings.db_url.get_secret_value() == (
        "postgresql://aurion%40app:p%2Fw%3A1@db.internal:5433/aurion?sslmode=verify-full&sslrootcert=%2Fopt%2Frds-ca.pem"
    )
    assert settings.session_secret.get_secret_value() == SESSION_KEY


def test_settings_built_again_in_the_same_environment_do_not_ask_secrets_manager_again(secrets):
    # Given settings loaded once from the secrets
    client, arns = secrets
    first = load_settings(arns)
    # When the secrets can no longer be read and settings are built again
    for arn in arns.values():
        client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    again = load_settings(arns)
    # Then they are the same, from the cache
    assert again.db_url.get_secret_value() == first.db_url.get_secret_value()
    assert again.session_secret.get_secret_value() == SESSION_KEY
