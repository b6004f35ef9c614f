"""TLS to PostgreSQL follows the URL's libpq-style sslmode; in AWS, DB_SSL_MODE / DB_SSL_ROOT_CERT set it."""

from __future__ import annotations

import json
import ssl

import pytest
from pydantic import ValidationError

from aurion.db import connect_params
from aurion.settings import _db_url_from_rds_secret, load_settings

BASE = "postgresql://aurion_app:pw@db.example.com:5432/aurion"
SECRET = json.dumps({"username": "aurion_app", "password": "p@ss", "host": "db.example.com", "dbname": "aurion"})


def test_without_sslmode_pg8000_negotiates_tls_as_it_always_did():
    assert "ssl_context" not in connect_params(BASE)


def test_sslmode_disable_connects_without_tls():
    assert connect_params(f"{BASE}?sslmode=disable")["ssl_context"] is False


@pytest.mark.parametrize(("mode", "checks_host"), [("require", True), ("verify-full", True), ("verify-ca", False)])
def test_the_verifying_modes_check_the_certificate(mode, checks_host):
    context = connect_params(f"{BASE}?sslmode={mode}")["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is checks_host


def test_a_ca_bundle_that_does_not_exist_is_refused():
    with pytest.raises(FileNotFoundError):
        connect_params(f"{BASE}?sslmode=verify-full&sslrootcert=/nonexistent/rds-ca.pem")


def test_an_unknown_sslmode_fails_the_cold_start():
    env = {"AURION_DB_URL": f"{BASE}?sslmode=sometimes", "AURION_SESSION_SECRET": "s" * 32}
    with pytest.raises(ValidationError, match="unsupported sslmode"):
        load_settings(env)


def test_the_rds_secret_url_carries_the_deployments_tls_choice():
    url = _db_url_from_rds_secret(SECRET, {"DB_SSL_MODE": "verify-full", "DB_SSL_ROOT_CERT": "/opt/rds-ca.pem"})
    assert url == (
        "postgresql://aurion_app:p%40ss@db.example.com:5432/aurion?sslmode=verify-full&sslrootcert=%2Fopt%2Frds-ca.pem"
    )
    assert _db_url_from_rds_secret(SECRET, {}) == "postgresql://aurion_app:p%40ss@db.example.com:5432/aurion"
