"""`make seed` and `python -m local.seed`: every option of a tenant spec can be given on the command line."""

from __future__ import annotations

import shlex
import subprocess

import pg8000.native
import pytest

from aurion.db import connect_params
from local.seed import delete_tenant
from local.seed.__main__ import main
from tests.support.database import REPO

SLUG = "seed-test-cli"


def make_seed_command(*variables: str) -> list[str]:
    """The arguments `make seed` would give the generator (make -n prints the recipe without running it)."""
    result = subprocess.run(
        ["make", "-n", "-s", "seed", "TENANT=t", *variables], cwd=REPO, capture_output=True, text=True, check=True
    )
    recipe = result.stdout.replace("\\\n", " ")  # one command, continued over several lines
    line = next(line for line in recipe.splitlines() if "-m local.seed" in line)
    return shlex.split(line)


def test_make_seed_passes_plan_products_and_time_zone_to_the_generator():
    # Given make seed with PLAN, PRODUCTS (comma-separated) and TIME_ZONE
    argv = make_seed_command("PLAN=starter", "PRODUCTS=helpdesk,knowledge_base", "TIME_ZONE=Asia/Tokyo")
    # Then the generator is asked for exactly them
    assert argv[argv.index("--plan") + 1] == "starter"
    assert argv[argv.index("--products") + 1] == "helpdesk,knowledge_base"
    assert argv[argv.index("--time-zone") + 1] == "Asia/Tokyo"


def test_make_seed_without_them_leaves_the_generators_defaults():
    # Given make seed with none of the new variables
    argv = make_seed_command()
    # Then the generator's own defaults apply (plan professional, every product, its default zone)
    assert "--products" not in argv
    assert "--time-zone" not in argv
    assert argv[argv.index("--plan") + 1] == "professional"


@pytest.fixture
def admin_url(database):
    yield database.admin_url
    delete_tenant(database.admin_url, SLUG)


def test_the_cli_creates_the_tenant_with_the_plan_products_and_time_zone_asked_for(admin_url, capsys):
    # Given the command line of a Starter, helpdesk-only tenant in Tokyo
    argv = ["--database-url", admin_url, "--tenant", SLUG, "--conversations", "300", "--days", "20", "--plan",
            "starter", "--products", "helpdesk", "--time-zone", "Asia/Tokyo", "--end", "2026-03-01T12:00Z",
            "--replace", "-q"]  # fmt: skip
    # When it runs
    assert main(argv) == 0
    # Then the tenant has that plan and those products, and its conversations peak in Tokyo's working hours
    conn = pg8000.native.Connection(**connect_params(admin_url))
    try:
        plan, products, busiest = conn.run(
            "SELECT t.plan, t.products, (SELECT date_part('hour', c.created_at AT TIME ZONE 'Asia/Tokyo')::int "
            "FROM conversations c WHERE c.tenant_id = t.id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1) "
            "FROM tenants t WHERE t.slug = :slug",
            slug=SLUG,
        )[0]
    finally:
        conn.close()
    assert (plan, products) == ("starter", ["helpdesk"])
    assert 9 <= busiest <= 16
    assert "Asia/Tokyo" in capsys.readouterr().out


def test_an_unknown_time_zone_is_refused_before_anything_is_written(capsys):
    # Given a time zone that does not exist
    # When the CLI is run with it
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", "postgresql://nowhere.invalid/db", "--tenant", SLUG, "--conversations", "10",
              "--time-zone", "Mars/Olympus_Mons"])  # fmt: skip
    # Then it stops with a usage error naming the zone
    assert exited.value.code == 2
    assert "Mars/Olympus_Mons" in capsys.readouterr().err
