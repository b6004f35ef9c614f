"""The roles of the spec's Access Control table."""

from __future__ import annotations

from typing import Final

READ_ROLES: Final = frozenset(
    {"super_admin", "tenant_owner", "tenant_admin", "agent", "supervisor", "tenant_user", "tenant_readonly"}
)
# Export creation, listing, download and schedules. tenant_owner may read but not export: the spec says so.
EXPORT_ROLES: Final = frozenset({"super_admin", "tenant_admin"})

# Plans that include analytics ("Professional plan or higher").
ANALYTICS_PLANS: Final = frozenset({"professional", "enterprise"})
