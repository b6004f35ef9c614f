"""The dashboard's optional static site in template.yaml: off by default, private when on, and its origin allowed by
the API's CORS (functions, preflights and the exports bucket) only when it exists."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.cfn import Resolver, load_template
from local.exports_loop import bucket_cors_rules
from local.sam_model import environment_parameters, load_api_model
from tests.support.database import REPO

TEMPLATE = REPO / "template.yaml"
DASHBOARD_RESOURCES = {
    "DashboardBucket",
    "DashboardBucketPolicy",
    "DashboardOriginAccessControl",
    "DashboardResponseHeaders",
    "DashboardDistribution",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def test_every_dashboard_resource_exists_only_with_deploy_dashboard(template):
    resources = template["Resources"]
    named = {name for name in resources if name.startswith("Dashboard")}
    assert named == DASHBOARD_RESOURCES
    assert all(resources[name]["Condition"] == "DeployDashboard" for name in named)
    assert template["Parameters"]["DeployDashboard"]["Default"] == "false"
    assert Resolver(template, {}).condition("DeployDashboard") is False
    assert Resolver(template, {"DeployDashboard": "true"}).condition("DeployDashboard") is True


def test_the_dashboard_bucket_is_private_and_read_by_its_distribution_only(template):
    resources = template["Resources"]
    blocked = resources["DashboardBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert blocked == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    statements = resources["DashboardBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    assert "DashboardDistribution" in json.dumps(allows[0]["Condition"])  # this distribution's ARN, no other
    origin = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]}
    behaviour = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]


def test_the_api_allows_the_dashboards_origin_only_when_it_is_deployed(template):
    variable = template["Globals"]["Function"]["Environment"]["Variables"]["CORS_ALLOWED_ORIGINS"]
    condition, with_dashboard, without = variable["Fn::If"]
    assert condition == "DeployDashboard"
    assert "${DashboardDistribution.DomainName}" in with_dashboard["Fn::Sub"]
    assert without == {"Ref": "CorsAllowedOrigins"}
    # With the dashboard there are two origins, so the preflight and gateway responses answer '*'
    assert Resolver(template, {"DeployDashboard": "true"}).condition("SingleCorsOrigin") is False
    assert Resolver(template, {}).condition("SingleCorsOrigin") is True
    rule = template["Resources"]["ExportsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"][0]
    assert "${DashboardDistribution.DomainName}" in json.dumps(rule["AllowedOrigins"])


def test_locally_the_cors_origins_still_follow_the_environment(template):
    # Given the local origins in CORS_ALLOWED_ORIGINS (no dashboard deployed locally)
    environ = {"CORS_ALLOWED_ORIGINS": "http://127.0.0.1:5173"}
    # Then the parameter takes that value, for the gateway's preflights and for the exports bucket's rule
    assert environment_parameters(template, environ) == {"CorsAllowedOrigins": "http://127.0.0.1:5173"}
    model = load_api_model(TEMPLATE, REPO, None, environ)
    assert model.cors is not None
    assert model.cors.allow_origin == "'http://127.0.0.1:5173'"
    assert bucket_cors_rules(TEMPLATE, environ)[0]["AllowedOrigins"] == ["http://127.0.0.1:5173"]
