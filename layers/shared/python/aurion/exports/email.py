"""E-mail through Amazon SES: the address verification token and the export-ready message with its link.

Only from the configured sender identity (the template scopes ses:SendEmail to it) and only to a destination that
is verified (aurion.exports.destinations): never an open relay. Addresses are never logged.
"""

from __future__ import annotations

from aurion.exports.aws import client
from aurion.exports.delivery_config import get_delivery_config


def _send(to: str, subject: str, text: str) -> str:
    response = client("ses").send_email(
        Source=get_delivery_config().require_sender(),
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
        },
    )
    return str(response["MessageId"])


def send_verification(to: str, destination_name: str, token: str, hours: int) -> str:
    text = (
        f"An administrator of Aurion Analytics asked to send export files to this address ({destination_name}).\n\n"
        f"If you agree, give them this confirmation code, valid {hours} hours:\n\n    {token}\n\n"
        "If you did not expect this, ignore this message: nothing will be sent to you."
    )
    return _send(to, "Confirm export deliveries from Aurion Analytics", text)


def send_export_ready(to: str, *, scope: str, period: str, link: str, expires_at: str, rows: int | None) -> str:
    text = (
        f"Your Aurion Analytics export ({scope}, {period}) is ready"
        + (f": {rows} rows." if rows is not None else ".")
        + f"\n\nDownload it (the link works until {expires_at}):\n{link}\n"
    )
    return _send(to, f"Aurion Analytics export ready: {scope}, {period}", text)
