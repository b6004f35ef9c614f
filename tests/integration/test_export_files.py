"""What the export files hold, per scope and format, on a small hand-built helpdesk (values worked out here).

Calls (UTC):       late_feb  2026-02-28 23:30  resolved, first-call resolution, 120 s   (Paris: Mar 1 00:30)
                   mar1      2026-03-01 23:30  resolved, first-call resolution,  60 s   (Paris: Mar 2 00:30)
                   main      2026-03-02 09:15  ticket_created, billing, 245 s, transcript with a phone and an email
                   mar8      2026-03-08 23:30  failed, abandoned, 0 s                    (Paris: Mar 9 00:30)
Conversations:     cv1 2026-03-03 10:00 email/high, Jane (Tier 1), answered 10:10 (due 10:30: met), resolved by
                       the AI 12:00 (due 11:00: breached), contact Paul, subject with an email and a phone; CSAT 5
                   cv2 2026-03-04 15:00 chat/medium, open, unassigned, no SLA
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import datetime

import openpyxl
import pytest

from tests.support.builders import at
from tests.support.exports import pdf_text, readable_text, unzip

# The fixtures aws, exports and frozen_clock: tests/integration/conftest.py.

RAW_PII = [
    "+33612345678", "33612345678", "0612345678", "+33 6 98 76 54 32", "6 98 76 54 32", "+14155550199", "4155550199",
    "+442071838750", "2071838750", "+1 (555) 123-4567", "555) 123-4567", "5551234567", "jane.doe@example.com",
    "paul.martin@example.org", "bob@example.net", "Paul Martin",
]  # fmt: skip
REDACTED = ["***-***-5678", "***-***-5432", "***-***-4567", "p***@example.org", "j***@example.com", "b***@example.net"]


@pytest.fixture
def helpdesk(exports, build, owner_conn):
    tenant = exports.tenant
    owner_conn.run("UPDATE tenants SET name = 'Acme Corp' WHERE id = :id", id=tenant)
    tier1 = build.team(tenant, "Tier 1")
    jane = build.user(tenant, "Jane Doe", team_id=tier1)
    paul = build.insert(
        "contacts", id=uuid.uuid4(), tenant_id=tenant, name="Paul Martin", email="paul.martin@example.org",
        phone="+1 (555) 123-4567",
    )  # fmt: skip
    build.call(tenant, at("2026-02-28 23:30"), phone_number="+33611112222", duration_seconds=120,
               first_call_resolution=True)  # fmt: skip
    build.call(tenant, at("2026-03-01 23:30"), phone_number="+14155550199", first_call_resolution=True)
    build.call(
        tenant, at("2026-03-02 09:15"), phone_number="+33612345678", duration_seconds=245, outcome="ticket_created",
        category="billing",
        transcript="Hello, please call me back on +33 6 98 76 54 32 or write to jane.doe@example.com. Thanks!",
    )  # fmt: skip
    build.call(tenant, at("2026-03-08 23:30"), phone_number="+442071838750", status="failed", duration_seconds=0,
               outcome="abandoned")  # fmt: skip
    cv1 = build.conversation(
        tenant, at("2026-03-03 10:00"), channel="email", priority="high", contact_id=paul, assignee_user_id=jane,
        team_id=tier1, subject="Refund for bob@example.net, call 0612345678", first_response_at=at("2026-03-03 10:10"),
        first_response_due_at=at("2026-03-03 10:30"), resolved_at=at("2026-03-03 12:00"), resolved_by="ai",
        resolution_due_at=at("2026-03-03 11:00"),
    )  # fmt: skip
    build.conversation(tenant, at("2026-03-04 15:00"), channel="chat", priority="medium", subject="Password reset")
    build.csat(tenant, cv1, at("2026-03-03 12:30"), responded_at=at("2026-03-03 13:00"), rating=5)
    return exports


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


# -- csv --


def test_the_default_export_is_one_csv_of_the_calls_of_the_period_in_utc(helpdesk):
    item, data = helpdesk.produce()
    rows = csv_rows(data)
    assert [row["phone_number_redacted"] for row in rows] == ["***-***-0199", "***-***-5678", "***-***-8750"]
    main = rows[1]
    shown = ("started_at", "day", "duration_seconds", "status", "outcome", "category", "first_call_resolution")
    assert {name: main[name] for name in shown} == {
        "started_at": "2026-03-02T09:15:00+00:00",
        "day": "2026-03-02",
        "duration_seconds": "245",
        "status": "completed",
        "outcome": "ticket_created",
        "category": "billing",
        "first_call_resolution": "false",
    }
    assert "transcript_redacted" not in main  # not asked for
    assert item["row_count"] == 3
    assert item["size_bytes"] == len(data)


def test_the_period_and_the_days_follow_the_export_time_zone(helpdesk):
    # Europe/Paris is UTC+1 in March: the period is Feb 28 23:00 .. Mar 8 23:00 UTC
    _item, data = helpdesk.produce(tz="Europe/Paris")
    rows = csv_rows(data)
    assert [(row["started_at"], row["day"]) for row in rows] == [
        ("2026-03-01T00:30:00+01:00", "2026-03-01"),
        ("2026-03-02T00:30:00+01:00", "2026-03-02"),
        ("2026-03-02T10:15:00+01:00", "2026-03-02"),
    ]


def test_without_call_details_the_voice_export_is_the_daily_summary(helpdesk):
    _item, data = helpdesk.produce(include_call_details=False, tz="Europe/Paris")
    assert csv_rows(data) == [
        {"day": "2026-03-01", "total_calls": "1", "completed_calls": "1", "failed_calls": "0",
         "avg_duration_seconds": "120.0", "first_call_resolution_rate": "100.0", "resolved_calls": "1",
         "tickets_created": "0", "escalation_count": "0"},
        # 60 s and 245 s: average 152.5; one of two resolved on first call
        {"day": "2026-03-02", "total_calls": "2", "completed_calls": "2", "failed_calls": "0",
         "avg_duration_seconds": "152.5", "first_call_resolution_rate": "50.0", "resolved_calls": "1",
         "tickets_created": "1", "escalation_count": "0"},
    ]  # fmt: skip


def test_several_datasets_in_csv_are_a_zip_of_one_csv_each(helpdesk):
    item, data = helpdesk.produce(scope="all")
    assert item["download_url"].endswith("format=csv&start_date=2026-03-01&end_date=2026-03-08")
    files = unzip(data)
    assert sorted(files) == ["calls.csv", "conversations.csv"]
    conversations = csv_rows(files["conversations.csv"])
    sla = [(row["channel"], row["priority"], row["first_response_sla"], row["resolution_sla"], row["csat_rating"])
           for row in conversations]  # fmt: skip
    assert sla == [("email", "high", "met", "breached", "5"), ("chat", "medium", "", "", "")]
    assert conversations[0]["first_response_minutes"] == "10.0"
    assert conversations[0]["resolution_minutes"] == "120.0"
    assert conversations[0]["assignee_name"] == "Jane Doe"
    assert conversations[0]["contact_email_masked"] == "p***@example.org"
    assert item["row_count"] == 5  # 3 calls + 2 conversations
    assert helpdesk.aws.objects()[0].endswith(".zip")


def test_the_performance_scope_holds_agents_and_teams(helpdesk, owner_conn):
    # Given Jane Doe, the one assignee of the helpdesk
    [[jane]] = owner_conn.run(
        "SELECT id::text FROM users WHERE tenant_id = :t AND name = 'Jane Doe'", t=helpdesk.tenant
    )
    _item, data = helpdesk.produce(scope="performance")
    files = unzip(data)
    assert csv_rows(files["agent_performance.csv"]) == [
        {"assignee_user_id": jane,
         "assignee_name": "Jane Doe", "assigned_count": "1", "resolved_count": "1", "resolution_rate": "100.0",
         "avg_first_response_minutes": "10.0", "avg_resolution_minutes": "120.0"},
    ]  # fmt: skip
    assert [(row["team_name"], row["assigned_count"], row["resolution_rate"])
            for row in csv_rows(files["team_performance.csv"])] == [("Tier 1", "1", "100.0")]  # fmt: skip


def test_the_sla_quality_scope_holds_compliance_and_csat(helpdesk):
    _item, data = helpdesk.produce(scope="sla_quality")
    files = unzip(data)
    assert sorted(files) == ["csat_daily.csv", "sla_by_priority.csv", "sla_by_team.csv", "sla_daily.csv",
                             "sla_summary.csv"]  # fmt: skip
    assert csv_rows(files["sla_summary.csv"]) == [
        {"target": "first_response", "tracked": "1", "met": "1", "breached": "0", "compliance_rate": "100.0"},
        {"target": "resolution", "tracked": "1", "met": "0", "breached": "1", "compliance_rate": "0.0"},
    ]
    assert csv_rows(files["csat_daily.csv"]) == [
        {"day": "2026-03-03", "responses": "1", "rated_responses": "1", "avg_rating": "5.0", "positive_rate": "100.0"}
    ]
    assert [row["day"] for row in csv_rows(files["sla_daily.csv"])] == ["2026-03-03"]


def test_the_resolution_scope_holds_rates_by_priority_and_call_outcomes(helpdesk):
    _item, data = helpdesk.produce(scope="resolution_rates")
    files = unzip(data)
    assert [(row["priority"], row["total"], row["resolved"], row["ai_resolved"], row["resolution_rate"])
            for row in csv_rows(files["resolution_by_priority.csv"])] == [
        ("all", "2", "1", "1", "50.0"), ("high", "1", "1", "1", "100.0"), ("medium", "1", "0", "0", "0.0"),
    ]  # fmt: skip
    assert [(row["outcome"], row["calls"], row["share_rate"]) for row in csv_rows(files["call_outcomes.csv"])] == [
        ("abandoned", "1", "33.3"), ("resolved", "1", "33.3"), ("ticket_created", "1", "33.3"),
    ]  # fmt: skip


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(helpdesk, build):
    build.conversation(helpdesk.tenant, at("2026-03-05 08:00"), subject='=HYPERLINK("http://evil.example","x")')
    _item, data = helpdesk.produce(scope="conversations")
    subjects = [row["subject_redacted"] for row in csv_rows(data)]
    assert '\'=HYPERLINK("http://evil.example","x")' in subjects


# -- json --


def test_json_has_the_export_then_one_key_per_dataset_with_typed_values(helpdesk):
    _item, data = helpdesk.produce(scope="all", format="json", tz="Europe/Paris")
    document = json.loads(data)
    assert list(document) == ["export", "calls", "conversations"]
    assert document["export"]["tenant"] == "Acme Corp"
    assert document["export"]["datasets"] == ["calls", "conversations"]
    assert (document["export"]["start_date"], document["export"]["tz"]) == ("2026-03-01", "Europe/Paris")
    call = document["calls"][2]
    assert call["started_at"] == "2026-03-02T10:15:00+01:00"
    assert (call["duration_seconds"], call["first_call_resolution"], call["resolution_seconds"]) == (245, False, None)
    assert document["conversations"][0]["first_response_minutes"] == 10.0
    assert len(document["conversations"]) == 2


def test_json_of_an_empty_period_has_empty_lists(exports):
    _item, data = exports.produce(scope="all", format="json")
    document = json.loads(data)
    assert (document["calls"], document["conversations"]) == ([], [])


# -- xlsx --


def test_xlsx_has_an_about_sheet_then_one_typed_sheet_per_dataset(helpdesk):
    _item, data = helpdesk.produce(scope="all", format="xlsx", tz="Europe/Paris")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["About", "Calls", "Conversations"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert about["Tenant"] == "Acme Corp"
    assert about["Time zone"].startswith("Europe/Paris")
    calls = list(workbook["Calls"].iter_rows(values_only=True))
    header, main = calls[0], dict(zip(calls[0], calls[3], strict=True))
    assert header[:3] == ("call_id", "started_at", "day")
    assert main["started_at"] == datetime(2026, 3, 2, 10, 15)  # local time, an Excel date-time
    assert main["duration_seconds"] == 245
    assert main["first_call_resolution"] is False
    conversations = list(workbook["Conversations"].iter_rows(values_only=True))
    assert dict(zip(conversations[0], conversations[1], strict=True))["resolution_minutes"] == 120.0
    cell = workbook["Calls"]["B2"]
    assert cell.is_date


def test_xlsx_keeps_formula_like_text_as_text(helpdesk, build):
    build.conversation(helpdesk.tenant, at("2026-03-05 08:00"), subject="=1+1")
    _item, data = helpdesk.produce(scope="conversations", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Conversations"]
    cells = [row[6] for row in sheet.iter_rows(min_row=2)]
    formula = next(cell for cell in cells if cell.value == "=1+1")
    assert formula.data_type == "s"


# -- pdf --


def test_the_pdf_is_a_report_with_kpis_and_three_charts_then_the_scope_tables(helpdesk):
    item, data = helpdesk.produce(scope="performance", format="pdf")
    assert data.startswith(b"%PDF-")
    pages = re.findall(rb"/Type /Page\b(?!s)", data)
    assert len(pages) >= 2
    text = pdf_text(data)
    for words in ("Aurion Analytics report", "Agent and team performance", "Acme Corp", "2026-03-01 to 2026-03-08",
                  "Key figures", "Total calls", "Volume trend (per day)", "Outcome and resolution split",
                  "SLA compliance", "Agent performance", "Team performance", "Jane Doe", "Page 2 of"):  # fmt: skip
        assert words in text, words
    # The charts are drawn: filled rectangles (bars) well beyond the table backgrounds
    assert len(re.findall(r"re f\b", text)) >= 10
    assert item["row_count"] == 2  # one agent row, one team row


def test_the_pdf_of_a_long_period_charts_weeks(helpdesk):
    _item, data = helpdesk.produce(format="pdf", start_date="2026-01-01", end_date="2026-03-31")
    assert "Volume trend (per week)" in pdf_text(data)


def test_the_pdf_of_an_empty_period_says_so(exports):
    _item, data = exports.produce(format="pdf")
    assert "No calls or conversations in this period" in pdf_text(data)


# -- personal data --


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "pdf"])
def test_no_format_ever_holds_a_raw_phone_number_or_email(helpdesk, fmt):
    # Everything that can hold personal data: all data, transcripts asked for, conversations too
    _item, data = helpdesk.produce(scope="all", format=fmt, include_transcripts=True, include_conversations=True)
    text = readable_text(fmt, data)
    leaked = [value for value in RAW_PII if value in text]
    assert leaked == []
    # And the redacted forms are there: the data was exported, not left out
    shown = REDACTED if fmt != "pdf" else ["***-***-5678", "p***@example.org"]
    assert [value for value in shown if value not in text] == []


def test_transcripts_are_exported_only_when_asked_and_then_redacted(helpdesk):
    _item, without = helpdesk.produce()
    assert "transcript" not in without.decode()
    _item, with_transcripts = helpdesk.produce(include_transcripts=True)
    main = csv_rows(with_transcripts)[1]
    assert main["transcript_redacted"] == (
        "Hello, please call me back on ***-***-5432 or write to j***@example.com. Thanks!"
    )


def test_other_tenants_rows_never_reach_an_export(helpdesk, build):
    other = build.tenant()
    build.call(other, at("2026-03-02 10:00"), phone_number="+33699999999")
    _item, data = helpdesk.produce()
    assert "9999" not in data.decode()
