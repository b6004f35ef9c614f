"""Print template.yaml as CloudFormation receives it (SAM resources expanded), as JSON on stdout.

Runs under the SAM CLI's own virtualenv (`.sam-venv/bin/python local/sam_transform.py TEMPLATE PARAMETERS_JSON`):
the translator pins a pydantic that clashes with the runtime's, so it cannot live in `.venv`. Only the standard
library and samtranslator are imported here. Local code URIs are first replaced by the S3 URIs `sam package` would
upload them to (the translator accepts no other).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

REGION = "eu-west-1"


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


def main(argv: list[str]) -> None:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    template_path, parameters = Path(argv[1]), json.loads(argv[2])
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    result = transform(packaged(yaml_parse(template_path.read_text())), parameters, _NoManagedPolicies())
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
