"""Schemathesis against the OpenAPI document: generated requests to every
operation (valid and invalid input, as an administrator, so they get past the
role check) must never get a server error (5xx)."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from bvflow import services, users
from bvflow.clock import SimulatedClock
from bvflow.site import Site
from bvflow.web import create_app

from .conftest import DEADLINES, PROPOSAL, make_site_dir


def test_no_server_error(tmp_path: Path, db_url: str) -> None:
    clock = SimulatedClock()
    clock.set_date(date(2025, 6, 5), time(12, 0))
    site = Site.open(make_site_dir(tmp_path, db_url) / "config.toml", clock)
    services.create_plan(site, None, "handlingsplan-2025", "Handlingsplan 2025", PROPOSAL, DEADLINES)
    services.submit_plan(site, None, "handlingsplan-2025")
    users.add_user(site, "admin", "a-long-password-1", admin=True)
    headers = {"Authorization": f"Bearer {users.create_token(site, 'admin')}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(site))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            calls.append(response.status_code)
            assert response.status_code < 500, (case.method, case.formatted_path, case.body,
                                                 response.text[:500])
            assert response.headers["content-type"][0].startswith("application/json")

        check()
    assert len(calls) >= 12 * 10 and all(c < 500 for c in calls)
    site.engine.dispose()
