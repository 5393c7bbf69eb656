"""The embedded infrastructure: started once, reused, reported."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_infra_is_reused_not_started_twice(platform_settings, infra):
    from services.tooling.brokers import embedded_broker
    from services.tooling.embedded import (
        ADMIN,
        EmbeddedPostgres,
        ensure_infra,
        infra_status,
    )

    if not (platform_settings.embedded_broker and platform_settings.embedded_database):
        pytest.skip("external engines: nothing embedded to reuse")  # only with DATABASE_URL set
    broker = embedded_broker(platform_settings)
    assert broker.start() is False  # already running: reused
    assert ensure_infra(platform_settings, principal=ADMIN) == infra
    status = infra_status(platform_settings)
    assert status["broker"]["running"] is True
    assert status["postgres"]["running"] is True
    assert EmbeddedPostgres(platform_settings).running()
