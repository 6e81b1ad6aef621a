"""Property test of the drivers' API against its own OpenAPI document, on a real hub in its
own process: no input gives a 500, every error is the documented envelope."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err, Ok

from .conftest import APP
from .test_crash import _start


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("schema")
    data = tmp / "hub"
    data.mkdir()
    proc, url = _start(data, Path(tmp) / "fr1.db", 0.0)
    try:
        yield url.removesuffix("/api/delivery/v1")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_no_server_errors(hub_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{hub_url}/api/delivery/v1/openapi.json")
    schema.config.base_url = hub_url  # paths in the document carry the prefix
    found = list(schema.get_all_operations())
    assert not [r.err() for r in found if isinstance(r, Err)]
    operations = [r.ok() for r in found if isinstance(r, Ok)]
    assert len(operations) == 7
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            headers = dict(APP)
            if case.headers and case.headers.get("Idempotency-Key") is not None:
                headers["Idempotency-Key"] = case.headers["Idempotency-Key"] or "k"
            response = case.call(headers=headers, base_url=hub_url)
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and isinstance(body["error"]["code"], str)
                assert body["error"]["message"]

        check()
