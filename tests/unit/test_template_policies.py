"""Least privilege, read from the transformed template (what CloudFormation receives): each function's role holds
exactly the declared permissions, no more. The session-signing key, which forges a session of any role and
tenant, is readable by the authorizer alone (one shared policy once gave it to all 11 functions).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sam_template import transformed

# Every function: CloudWatch Logs, X-Ray segments and its VPC network interfaces (they grant no data access).
COMMON_MANAGED = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaVPCAccessExecutionRole"}
DB = ("secretsmanager:GetSecretValue", "AppDbSecret|DbSecretArn")
WEBHOOK_KEY = ("secretsmanager:GetSecretValue", "WebhookKeySecret")
SES_SENDER = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${ExportEmailSender}"


def consumes(queue: str) -> set[tuple[str, str]]:
    """What an SQS event source mapping needs of its queue (SAM's SQS event would attach the managed
    AWSLambdaSQSQueueExecutionRole instead: receive and delete on every queue of the account)."""
    return {(action, queue) for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")}


EXPECTED: dict[str, tuple[set[str], set[tuple[str, str]]]] = {
    "AuthorizerFunction": (set(), {DB, ("secretsmanager:GetSecretValue", "SessionSecret|SessionSecretArn")}),
    "ConversationAnalyticsFunction": (set(), {DB}),
    "UnifiedOverviewFunction": (set(), {DB}),
    "VoiceAnalyticsFunction": (set(), {DB}),
    "CallSearchFunction": (set(), {DB, ("secretsmanager:GetSecretValue", "SearchProbeKeySecret")}),
    "ApiKeysFunction": (set(), {DB}),
    "ExportsFunction": (
        set(),
        {
            DB,
            WEBHOOK_KEY,
            ("sqs:SendMessage", "ExportQueue"),
            ("sqs:SendMessage", "ExportDeliveryQueue"),
            ("s3:GetObject", "${ExportsBucket.Arn}/exports/*"),
            ("s3:DeleteObject", "${ExportsBucket.Arn}/exports/*"),
        },
    ),
    "ExportWorkerFunction": (
        set(),
        {
            DB,
            ("s3:PutObject", "${ExportsBucket.Arn}/exports/*"),
            ("s3:AbortMultipartUpload", "${ExportsBucket.Arn}/exports/*"),
            ("sqs:ChangeMessageVisibility", "ExportQueue"),
            ("sqs:SendMessage", "ExportDeliveryQueue"),
        }
        | consumes("ExportQueue"),
    ),
    # Deliveries: presigned links to export files, e-mail as the configured sender identity only, and the webhook key.
    "ExportDeliveryFunction": (
        set(),
        {
            DB,
            WEBHOOK_KEY,
            ("sqs:ChangeMessageVisibility", "ExportDeliveryQueue"),
            ("s3:GetObject", "${ExportsBucket.Arn}/exports/*"),
            ("ses:SendEmail", SES_SENDER),
        }
        | consumes("ExportDeliveryQueue"),
    ),
    "ExportSchedulerFunction": (set(), {DB, ("sqs:SendMessage", "ExportQueue")}),
    # The rollup dispatcher queues jobs on its queue only; the worker consumes them and shortens a busy retry.
    "AggregatorFunction": (set(), {DB, ("sqs:SendMessage", "AggregatorQueue")}),
    "AggregatorWorkerFunction": (
        set(),
        {DB, ("sqs:ChangeMessageVisibility", "AggregatorQueue")} | consumes("AggregatorQueue"),
    ),
    "IngestFunction": (set(), {DB} | consumes("IngestQueue")),
    # The bulk path's loader: the import files, nothing else of their bucket.
    "BulkImportFunction": (
        set(),
        {DB, ("s3:GetObject", "${ImportsBucket.Arn}/imports/*")} | consumes("ImportQueue"),
    ),
    # The Custom::Migrations handler: the owner runs the migrations and sets the app role's password.
    "MigrationsFunction": (set(), {DB, ("secretsmanager:GetSecretValue", "DbOwnerSecret|DbOwnerSecretArn")}),
}


def _resource(value: Any) -> str:
    """A statement's resource as a name: a Ref or GetAtt by its logical id, a Sub by its text, an If as a|b."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return str(value["Ref"])
    if "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if "Fn::If" in value:
        return "|".join(_resource(branch) for branch in value["Fn::If"][1:])
    raise AssertionError(f"unexpected resource {value!r}")


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for statement in document["Statement"]:
        if "Fn::If" in statement:
            # A conditional statement (the customer-managed KMS key): checked in its enabled form.
            statement = statement["Fn::If"][1]
        found.append(statement)
    return found


def _grants(template: dict[str, Any], function: str) -> tuple[set[str], set[tuple[str, str]]]:
    resources = template["Resources"]
    role = resources[f"{function}Role"]["Properties"]
    managed: set[str] = set()
    documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, str):
            managed.add(arn.rsplit("/", 1)[-1])
        else:
            documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
    grants: set[tuple[str, str]] = set()
    for document in documents:
        for statement in _statements(document):
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if actions == ["kms:Decrypt"]:
                continue  # only with SecretsKmsKeyArn, through Secrets Manager (kms:ViaService), beside each secret
            grants |= {(action, _resource(target)) for action in actions for target in targets}
    return managed - COMMON_MANAGED, grants


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return transformed()


def test_every_function_is_declared(template):
    # Given the transformed template's functions
    functions = {name for name, res in template["Resources"].items() if res["Type"] == "AWS::Lambda::Function"}
    # Then each has a declared list of permissions (a new function must say what it needs)
    assert functions == set(EXPECTED)


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_each_function_holds_only_the_permissions_it_uses(template, function):
    # Given the function's role in the transformed template
    managed, grants = _grants(template, function)
    # Then its managed policies and its actions on resources are exactly the declared ones
    assert (managed, grants) == EXPECTED[function]


def test_only_the_authorizer_can_read_the_session_signing_secret(template):
    # Given every function's grants
    readers = {
        function
        for function in EXPECTED
        if any("SessionSecret" in resource for _, resource in _grants(template, function)[1])
    }
    # Then the authorizer alone reads it, and only the authorizer is told where it is
    assert readers == {"AuthorizerFunction"}
    told = {
        name
        for name, res in template["Resources"].items()
        if res["Type"] == "AWS::Lambda::Function"
        and "SESSION_SECRET_ARN" in res["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert told == {"AuthorizerFunction"}
