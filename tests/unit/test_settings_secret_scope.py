"""Each function is given only the secrets it reads (template.yaml): settings must load without the session-signing
key (every function but the authorizer) and the phone-search probe key has its own secret, so the call search no
longer needs the key that can forge any session.
"""

from __future__ import annotations

import json

import pytest

from aurion.settings import _db_url_from_rds_secret, load_settings

DB_URL = "postgresql://aurion_app:pw@db.internal:5432/aurion"
SESSION_KEY = "a-session-signing-key-of-at-least-32-characters"
PROBE_KEY = "a-search-probe-key-of-at-least-32-characters!"


def test_settings_load_without_the_session_secret_and_refuse_to_hand_it_out():
    # Given a function's environment with the database but no session-signing key (every function but the authorizer)
    env = {"AURION_DB_URL": DB_URL}
    # When settings load
    settings = load_settings(env)
    # Then they load, and asking them for the signing key fails loudly instead of signing with nothing
    assert settings.session_secret is None
    with pytest.raises(RuntimeError, match="SESSION_SECRET_ARN"):
        settings.signing_secret()


def test_the_probe_key_is_its_own_secret_and_falls_back_to_the_session_secret_only_locally():
    # Given a local environment with one secret, and one that names a probe key of its own
    local = load_settings({"AURION_DB_URL": DB_URL, "AURION_SESSION_SECRET": SESSION_KEY})
    own = load_settings({"AURION_DB_URL": DB_URL, "AURION_SEARCH_PROBE_KEY": PROBE_KEY})
    # Then the local stack uses its one secret for both, and the probe key alone serves the call search
    assert local.probe_key() == SESSION_KEY
    assert own.probe_key() == PROBE_KEY
    assert own.session_secret is None


def test_a_short_probe_key_fails_the_cold_start():
    # Given a probe key too short for an HMAC-SHA256 key
    env = {"AURION_DB_URL": DB_URL, "AURION_SEARCH_PROBE_KEY": "short"}
    # Then settings refuse it
    with pytest.raises(ValueError, match="32 characters"):
        load_settings(env)


def test_the_proxy_host_replaces_the_clusters_host_of_the_stacks_secret():
    # Given the app secret the stack generates (RDS fills in the cluster's host) and the proxy's name in DB_HOST
    secret = json.dumps(
        {"username": "aurion_app", "password": "pw", "host": "cluster.rds.internal", "port": 5432, "dbname": "aurion"}
    )
    env = {"DB_HOST": "aurion-db.proxy-abc.eu-west-1.rds.amazonaws.com", "DB_SSL_MODE": "verify-full"}
    # When the URL is built
    url = _db_url_from_rds_secret(secret, env)
    # Then the functions connect through the proxy, verifying its name with the runtime's bundle
    assert (
        url
        == "postgresql://aurion_app:pw@aurion-db.proxy-abc.eu-west-1.rds.amazonaws.com:5432/aurion?sslmode=verify-full"
    )
