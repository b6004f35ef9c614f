from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# For the names people give things (a schedule, an API key): no control characters. PostgreSQL text cannot hold
# NUL at all (the fuzzer's 500), and a tab or a newline in a name only breaks the lists and files that show it.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


class SpecModel(BaseModel):
    """A response object of the spec: no field may be added or left out."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
