"""GET /api/v2/analytics/conversations/teams: the team filter dropdown."""

from __future__ import annotations

from aurion.access import tenant_scope
from aurion.auth.caller import Caller
from aurion.models.conversations import TeamOption, TeamsResponse

_TEAMS_SQL = """
SELECT id::text AS team_id, name AS team_name
FROM teams
WHERE tenant_id = CAST(:tenant_id AS uuid)
ORDER BY name, id
"""


def list_teams(caller: Caller) -> TeamsResponse:
    with tenant_scope(caller) as scope:
        rows = scope.tx.all(_TEAMS_SQL, tenant_id=scope.tenant.id)
    return TeamsResponse(teams=[TeamOption(**row) for row in rows])
