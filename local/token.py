"""Print a session token for the local stack: `python -m local.token --role tenant_admin --tenant acme`.

stdout carries the token and nothing else, so `TOKEN=$(make -s token ...)` works; everything else goes to
stderr. The token is signed with .local/session_secret (what `make run` gives the functions) for the tenant
with that slug in the dev database: DATABASE_URL's, else the one this checkout's running `make run` serves
(.local/run.json, whatever DATABASE_URL it was started with), else the running embedded server. The user is
--user, else the tenant's first user with that role, else its first user, else a fixed uuid derived from
tenant and role (so repeated tokens name the same user).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import NoReturn

from pg8000.exceptions import DatabaseError, InterfaceError

from local import stack
from local.paths import ensure_layer_on_path

# Long enough for a working day with the dashboard; production sessions are shorter.
DEFAULT_TTL_SECONDS = 8 * 3600
_USER_NAMESPACE = uuid.UUID("6f1c7a52-3f0e-4b6c-9a51-2c1d7e0f4a10")


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def resolve_identity(admin_url: str, slug: str, role: str, user: str | None) -> tuple[str, str]:
    """(tenant_id, user_id) for the token; raises LookupError naming the known slugs for an unknown tenant."""
    ensure_layer_on_path()
    import pg8000.native

    from aurion.db import connect_params

    conn = pg8000.native.Connection(**connect_params(admin_url), application_name="aurion-token", timeout=5)
    try:
        rows = conn.run("SELECT id::text FROM tenants WHERE slug = :slug", slug=slug)
        if not rows:
            known = [row[0] for row in conn.run("SELECT slug FROM tenants ORDER BY slug LIMIT 50")]
            raise LookupError(f"no tenant {slug!r}; known: {', '.join(known) or 'none (seed first)'}")
        tenant_id = str(rows[0][0])
        if user is None:
            found = conn.run(
                "SELECT id::text FROM users WHERE tenant_id = CAST(:tenant AS uuid) "
                "ORDER BY (role = :role) DESC, created_at, id LIMIT 1",
                tenant=tenant_id,
                role=role,
            )
            user = str(found[0][0]) if found else str(uuid.uuid5(_USER_NAMESPACE, f"{tenant_id}:{role}"))
    finally:
        conn.close()
    return tenant_id, user


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.token", description="Print a local session token")
    parser.add_argument("--role", required=True, help="e.g. tenant_admin, tenant_owner, agent, super_admin")
    parser.add_argument("--tenant", required=True, help="tenant slug, e.g. acme")
    parser.add_argument("--user", help="user id (uuid) to put in the token's sub claim")
    parser.add_argument("--ttl-seconds", type=int, default=DEFAULT_TTL_SECONDS)
    args = parser.parse_args(argv)
    if not args.role.strip() or not args.tenant.strip():
        _fail("--role and --tenant must not be empty (make token ROLE=tenant_admin TENANT=acme)")
    if args.user is not None:
        try:
            args.user = str(uuid.UUID(args.user))
        except ValueError:
            _fail(f"--user must be a uuid, got {args.user!r}")
    secret_file = stack.SESSION_SECRET_FILE
    if not secret_file.exists():
        _fail(f"{secret_file} does not exist yet: run `make run` once")
    secret = secret_file.read_text(encoding="utf-8").strip()

    try:
        database = stack.open_dev_database(start_embedded=False)
        tenant_id, user_id = resolve_identity(database.admin_url, args.tenant, args.role, args.user)
    except (stack.StackError, LookupError) as exc:
        _fail(str(exc))
    except (InterfaceError, DatabaseError, OSError) as exc:
        _fail(f"cannot query the dev database ({type(exc).__name__}: {exc}); is `make run` up?")

    ensure_layer_on_path()
    from aurion.auth.tokens import issue_token

    print(issue_token(secret, user_id=user_id, tenant_id=tenant_id, role=args.role, ttl_seconds=args.ttl_seconds))


if __name__ == "__main__":
    main()
