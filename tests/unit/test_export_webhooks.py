"""The webhook guard and signature, the delivery backoff and the progress arithmetic, without I/O (the deliveries
themselves: tests/integration/test_export_delivery_local_loop.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aurion.exports.delivery import retry_delay
from aurion.exports.delivery_config import DeliveryConfig
from aurion.exports.totals import estimated_finish, percent
from aurion.exports.webhooks import (
    UnsafeWebhookUrl,
    check_webhook_url,
    destination_secret,
    sign,
    signed_headers,
    verify_signature,
)

UNSAFE = [
    "http://93.184.216.34/hook",  # not https
    "ftp://93.184.216.34/hook",
    "https://127.0.0.1/hook",  # loopback
    "https://10.1.2.3/hook",  # private
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data",  # link-local: the instance metadata service
    "https://100.64.0.1/hook",  # shared address space
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "https://user:secret@93.184.216.34/hook",  # credentials
    "https://localhost/hook",  # a name that resolves to loopback
    "https://93.184.216.34:8443/hook",  # another port than 443
    "https://93.184.216.34:22/hook",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_a_deployed_function_refuses_non_https_private_loopback_and_link_local_targets(url):
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url(url, allow_private=False)


def test_a_public_https_address_is_accepted_and_connected_to_as_checked():
    assert check_webhook_url("https://93.184.216.34/hook?x=1", allow_private=False) == ["93.184.216.34"]
    assert check_webhook_url("https://93.184.216.34:443/hook", allow_private=False) == ["93.184.216.34"]


def test_only_the_explicit_local_setting_allows_a_local_http_receiver():
    url = "http://127.0.0.1:8123/hook"
    with pytest.raises(UnsafeWebhookUrl):
        check_webhook_url(url, allow_private=False)
    assert check_webhook_url(url, allow_private=True) == ["127.0.0.1"]
    # and the setting is off unless set
    assert DeliveryConfig().allow_private_webhooks is False


def test_the_signature_covers_timestamp_and_body_and_expires_after_the_replay_window():
    secret = destination_secret(b"k" * 32, "0b9c6c9e-5f5e-4f7e-8d4b-1a2b3c4d5e6f", "salt")
    body = b'{"type":"export.succeeded"}'
    headers = signed_headers(secret, body, now=1_773_057_600)
    assert headers["Aurion-Signature"] == sign(secret, 1_773_057_600, body)
    check = (secret, body, headers["Aurion-Timestamp"], headers["Aurion-Signature"])
    assert verify_signature(*check, now=1_773_057_600 + 300)
    assert not verify_signature(*check, now=1_773_057_600 + 301)
    assert not verify_signature(secret, body, "1773057601", headers["Aurion-Signature"], now=1_773_057_600)
    assert not verify_signature(secret, body, "not-a-number", headers["Aurion-Signature"], now=1_773_057_600)


def test_each_destination_gets_its_own_secret_from_the_key_and_its_salt():
    key = b"k" * 32
    one = destination_secret(key, "a", "salt-1")
    assert one.startswith("whsec_")
    assert one == destination_secret(key, "a", "salt-1")
    assert len({one, destination_secret(key, "b", "salt-1"), destination_secret(key, "a", "salt-2"),
                destination_secret(b"j" * 32, "a", "salt-1")}) == 4  # fmt: skip


def test_a_failed_delivery_backs_off_exponentially_up_to_15_minutes():
    config = DeliveryConfig(retry_base_seconds=30)
    assert [retry_delay(attempt, config) for attempt in (1, 2, 3, 4, 10)] == [30, 60, 120, 240, 900]


def test_the_percentage_is_capped_below_100_until_the_export_succeeds():
    assert percent(50, 200, "running") == 25
    assert percent(250, 200, "running") == 99  # the summary tables are not in the total
    assert percent(0, 0, "running") == 99
    assert percent(200, 200, "succeeded") == 100
    assert percent(None, None, "queued") is None
    assert percent(10, None, "running") is None  # pdf: no total
    assert percent(10, 200, "cancelled") is None


def test_the_estimated_finish_carries_the_rate_so_far_over_the_rows_left():
    started = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    at = started + timedelta(seconds=10)
    # 25,000 rows in 10 s, 75,000 left: 30 s more
    assert estimated_finish(25_000, 100_000, started, at, "running") == at + timedelta(seconds=30)
    assert estimated_finish(0, 100_000, started, started, "running") is None
    assert estimated_finish(25_000, None, started, at, "running") is None
    assert estimated_finish(25_000, 100_000, started, at, "succeeded") is None
