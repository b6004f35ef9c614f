"""template.yaml as CloudFormation receives it: transformed by samtranslator, local code URIs first replaced by the
S3 URIs `sam package` would upload them to (the translator accepts no other)."""

from __future__ import annotations

import copy
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"


@lru_cache(maxsize=1)
def source_template() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(TEMPLATE.read_text())


class _NoManagedPolicies:
    """The translator looks managed policy names up in IAM only for names a template uses; ours uses none."""

    def load(self) -> dict[str, str]:
        return {}


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The template with every local CodeUri / ContentUri replaced by an S3 URI, as `sam package` leaves it."""
    doc = copy.deepcopy(template)
    for name, resource in doc["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://aurion-artifacts/{name}.zip"
    return doc


def transformed(parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The transformed template (SAM resources expanded into CloudFormation ones)."""
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(packaged(source_template()), parameters or {}, _NoManagedPolicies())
