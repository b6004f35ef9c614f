"""Operations, read from the transformed template: every function is watched for errors and throttles, every alarm
notifies someone, every log group expires, and the access log holds no personal data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.sam_template import transformed


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return transformed({"EnableApiAccessLogs": "true"})["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: res for name, res in resources.items() if res["Type"] == kind}


def test_every_function_has_an_errors_and_a_throttles_alarm(resources):
    # Given the functions and the alarms on Lambda metrics
    functions = set(_of_type(resources, "AWS::Lambda::Function")) - {"MigrationsFunction"}  # fails the deployment
    watched = {
        (alarm["Properties"]["MetricName"], alarm["Properties"]["Dimensions"][0]["Value"]["Ref"])
        for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
    }
    # Then each function's errors and throttles raise an alarm
    assert {(metric, name) for name in functions for metric in ("Errors", "Throttles")} <= watched


def test_every_alarm_notifies_the_alarm_topic(resources):
    # Given every alarm, the 5xx rate, both DLQs and the rollup lag among them
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    assert {"Api5xxRateAlarm", "ExportDeadLetterAlarm", "IngestDeadLetterAlarm", "AggregatorLagAlarm"} <= set(alarms)
    # Then each notifies the topic (created or given) when it fires and when it recovers
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    for name, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == [topic], name
        assert alarm["Properties"].get("OKActions") == [topic], name


def test_every_log_group_has_a_retention(resources):
    # Given every log group of the stack
    groups = _of_type(resources, "AWS::Logs::LogGroup")
    # Then none keeps its logs forever
    assert groups
    assert all(group["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"} for group in groups.values())


def test_the_access_log_holds_no_path_query_string_ip_or_user(resources):
    # Given the stage's access log format
    (stage,) = _of_type(resources, "AWS::ApiGateway::Stage").values()
    log_format = json.dumps(stage["Properties"]["AccessLogSetting"])
    # Then it names the route template, never what a caller typed (a phone search's number) or who they are
    assert "$context.resourcePath" in log_format
    for personal in ("$context.path", "querystring", "sourceIp", "user_id", "$input", "Authorization"):
        assert personal not in log_format
