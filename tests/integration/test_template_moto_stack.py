"""The template deploys, from nothing and onto a team's own database, network and cache: transformed by
samtranslator and created in moto's CloudFormation until CREATE_COMPLETE.

What moto's CloudFormation cannot create is replaced, in this test only, by a stand-in of the same logical id, its
conditions and dependencies kept: an AWS::SNS::Topic, because its Ref is an ARN (what IAM policies and the functions'
environment expect of a secret's Ref) and it needs no properties; moto 5.2.5 cannot create a WaitConditionHandle
either (its Ref would be null). Every Fn::GetAtt or ${X.Attr} of a replaced resource becomes an ARN-shaped
placeholder. cfn-lint (`make template-lint`) checks those resources' properties instead. Replaced (moto 5.2.5;
docs/deployment.md lists them too):

- AWS::SecretsManager::Secret, AWS::SecretsManager::SecretTargetAttachment
- AWS::RDS::DBCluster, AWS::RDS::DBProxy, AWS::RDS::DBProxyTargetGroup
- AWS::ElastiCache::ServerlessCache
- AWS::CloudWatch::Alarm, AWS::SNS::Subscription
- AWS::ApiGateway::Stage, AWS::WAFv2::WebACLAssociation
- AWS::S3::BucketPolicy, AWS::SQS::QueuePolicy, AWS::Events::EventBusPolicy
- Custom::Migrations (its handler is tested against real PostgreSQL on its own)
- AWS::RDS::DBInstance: moto can create one, but not in a cluster it does not have
- AWS::ApiGateway::Deployment: moto does not import the RestApi's OpenAPI Body, so finds no method to deploy

The template's Rules section is dropped too: moto does not evaluate it (cfn-lint does). And moto resolves AWS::NoValue
to a null it keeps inside lists (a policy's conditional KMS statement becomes `null`, a malformed policy), where
CloudFormation removes the item: the test drops such nulls from lists as CloudFormation does. moto's EventBus has no
physical id, so its Ref is the model object itself: a Ref to the bus becomes the bus's Name (its Ref in AWS).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation import parsing
from moto.cloudformation.parsing import get_model_map

from tests.support.sam_template import REGION, transformed

ACCOUNT = "123456789012"
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret"

FROM_NOTHING: dict[str, str] = {}
BRING_YOUR_OWN = {
    "DbSecretArn": f"{ARN}:aurion/app-AbCdEf",
    "DbOwnerSecretArn": f"{ARN}:aurion/owner-GhIjKl",
    "SessionSecretArn": f"{ARN}:aurion/session-MnOpQr",
    "SubnetIds": "subnet-0aaa,subnet-0bbb",
    "SecurityGroupIds": "sg-0ccc",
    "RedisUrl": "rediss://cache.internal:6379",
    "AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:on-call",
    "WebAclArn": f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/aurion/0123",
}
# Created only from nothing; never when the team brings its own.
CREATED_FROM_NOTHING = {
    *("Vpc", "PrivateSubnetA", "PrivateSubnetB", "SecretsManagerEndpoint", "SqsEndpoint", "S3Endpoint"),
    *("DbCluster", "DbProxy", "RateLimitCache", "SessionSecret", "DbOwnerSecret", "AppDbSecret", "AlarmTopic"),
}


# Types moto has but cannot create here (see the module's docstring).
STAND_INS = {"AWS::RDS::DBInstance", "AWS::ApiGateway::Deployment"}


def _replace_unsupported(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    supported = get_model_map()
    resources = template["Resources"]
    replaced = {name for name, res in resources.items() if res["Type"] not in supported or res["Type"] in STAND_INS}
    for name in replaced:
        resource = resources[name]
        resources[name] = {
            "Type": "AWS::SNS::Topic",
            **{key: resource[key] for key in ("Condition", "DependsOn") if key in resource},
        }

    def attribute(name: str, attr: str) -> str:
        return f"arn:aws:placeholder:{REGION}:{ACCOUNT}:{name}/{attr}"

    buses = {
        name: res["Properties"]["Name"] for name, res in resources.items() if res["Type"] == "AWS::Events::EventBus"
    }
    for resource in resources.values():
        # The literal name loses the Ref's implicit dependency: say it.
        needed = [bus for bus in buses if json.dumps({"Ref": bus}) in json.dumps(resource)]
        if needed:
            depends = resource.get("DependsOn", [])
            resource["DependsOn"] = [*([depends] if isinstance(depends, str) else depends), *needed]

    def placeholder(value: Any) -> Any:
        if isinstance(value, dict):
            if list(value) == ["Ref"] and value["Ref"] in buses:
                return buses[value["Ref"]]
            if list(value) == ["Fn::GetAtt"] and value["Fn::GetAtt"][0] in replaced:
                return attribute(*value["Fn::GetAtt"][:2])
            if list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str):
                text = value["Fn::Sub"]
                for name in replaced:
                    text = re.sub(r"\$\{" + name + r"\.([A-Za-z.]+)\}", lambda m, n=name: attribute(n, m[1]), text)
                return {"Fn::Sub": text}
            return {key: placeholder(item) for key, item in value.items()}
        if isinstance(value, list):
            return [placeholder(item) for item in value]
        return value

    template.pop("Rules", None)
    return placeholder(template), replaced


def _create(parameters: dict[str, str]) -> tuple[dict[str, Any], set[str], set[str]]:
    template, replaced = _replace_unsupported(transformed(parameters))
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="aurion-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("app.py", "def lambda_handler(event, context):\n    return {}\n")
    for resource in template["Resources"].values():
        code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get("Content")
        if resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion"):
            s3.put_object(Bucket=code["S3Bucket"], Key=code["S3Key"], Body=archive.getvalue())
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName="aurion-analytics",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName="aurion-analytics")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    created = {
        summary["LogicalResourceId"]
        for summary in cloudformation.list_stack_resources(StackName="aurion-analytics")["StackResourceSummaries"]
    }
    return stack, created, replaced


def _without_novalue_items(clean_json):
    def clean(resource_json, resources_map):
        cleaned = clean_json(resource_json, resources_map)
        if isinstance(resource_json, list) and isinstance(cleaned, list):
            return [item for item in cleaned if item is not None]
        return cleaned

    return clean


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setattr(parsing, "clean_json", _without_novalue_items(parsing.clean_json))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def test_the_stack_deploys_from_nothing_with_its_network_database_cache_and_secrets(aws):
    # Given no parameters at all (an empty account)
    # When the transformed template is created
    stack, created, _ = _create(FROM_NOTHING)
    # Then it completes with every piece it must create, its functions inside the created VPC
    assert created >= CREATED_FROM_NOTHING
    lambda_client = boto3.client("lambda", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    (vpc,) = [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    named = {tag["Value"].rsplit("-", 1)[-1]: subnet["SubnetId"] for subnet in subnets for tag in subnet.get("Tags", [])
             if tag["Key"] == "Name"}  # fmt: skip
    private = {named["a"], named["b"]}
    functions = lambda_client.list_functions()["Functions"]
    assert len(functions) == len([name for name in created if name.endswith("Function")])
    # every function in the two private subnets, which have no route out, except the export delivery function:
    # the only one in the subnet routed to the NAT gateway (its way to SES and the webhooks)
    delivery = [f for f in functions if "ExportDeliveryFunction" in f["FunctionName"]]
    others = [f for f in functions if f not in delivery]
    assert all(set(function["VpcConfig"]["SubnetIds"]) == private for function in others)
    assert [set(function["VpcConfig"]["SubnetIds"]) for function in delivery] == [{named["delivery"]}]
    # (moto lists no associations of a CloudFormation-made route table: the tables are told by their logical id)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    routes_out = {
        tag["Value"]: route.get("NatGatewayId") or route.get("GatewayId")
        for table in tables for tag in table.get("Tags", []) if tag["Key"] == "aws:cloudformation:logical-id"
        for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    }  # fmt: skip
    assert set(routes_out) == {"DeliveryRouteTable", "PublicRouteTable"}
    assert routes_out["DeliveryRouteTable"].startswith("nat-")
    # verified TLS through the proxy, the shared cache over TLS, the session key told to the authorizer alone
    environments = {f["FunctionName"]: f["Environment"]["Variables"] for f in functions}
    assert all(env["DB_SSL_MODE"] == "verify-full" and env["DB_HOST"] for env in environments.values())
    assert all(env["REDIS_URL"].startswith("rediss://") for env in environments.values())
    assert [name for name, env in environments.items() if "SESSION_SECRET_ARN" in env] == [
        name for name in environments if "AuthorizerFunction" in name
    ]
    outputs = {output["OutputKey"] for output in stack["Outputs"]}
    assert {"ApiUrl", "DbOwnerSecretArn", "AppDbSecretArn", "DbProxyEndpoint", "AlarmTopicArn"} <= outputs


def test_the_stack_deploys_onto_a_teams_own_database_network_cache_and_topic(aws):
    # Given a team's own secrets, subnets, security group, cache, alarm topic and web ACL
    # When the transformed template is created with them
    _, created, _ = _create(BRING_YOUR_OWN)
    # Then it completes without creating any of them, and the functions run in the team's subnets
    assert not CREATED_FROM_NOTHING & created
    assert "WebAclAssociation" in created
    functions = boto3.client("lambda", region_name=REGION).list_functions()["Functions"]
    assert all(set(f["VpcConfig"]["SubnetIds"]) == {"subnet-0aaa", "subnet-0bbb"} for f in functions)
    configuration = {f["FunctionName"]: f["Environment"]["Variables"] for f in functions}
    assert all(env["REDIS_URL"] == "rediss://cache.internal:6379" for env in configuration.values())
    assert all(env["DB_SECRET_ARN"] == BRING_YOUR_OWN["DbSecretArn"] for env in configuration.values())
