"""Settings: safe defaults, production refusals, external engines switch embedding off."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from intake.settings import IntakeSettings
from reporting.settings import ReportingSettings
from services.platform.settings import PlatformSettings


def test_defaults_are_loopback_and_embedded(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = PlatformSettings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.embedded_broker and settings.embedded_database
    assert settings.events_topic == "lapor.complaint-events.v1"
    assert settings.agency_topic("kemenkes") == "lapor.agency.kemenkes.v1"
    assert settings.dead_letter_topic == "lapor.dead-letter.v1"


def test_external_engines_from_the_standard_variables(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/lapor")
    settings = PlatformSettings(_env_file=None)
    assert not settings.embedded_broker and not settings.embedded_database


def test_production_refuses_the_placeholder_master_key(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/lapor")
    with pytest.raises(ValidationError, match="LAPOR_MASTER_KEY"):
        PlatformSettings(_env_file=None, environment="production")
    assert PlatformSettings(_env_file=None, environment="production", master_key="s3cret")


def test_production_refuses_the_placeholder_checkpoint_key():
    """reporting signs the checkpoints: its settings refuse the development seed there."""
    with pytest.raises(ValidationError, match="LAPOR_CHECKPOINT_SIGNING_KEY"):
        ReportingSettings(_env_file=None, environment="production")
    assert ReportingSettings(
        _env_file=None, environment="production", checkpoint_signing_key="42" * 32
    )


def test_production_needs_external_engines(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ValidationError, match="KAFKA_BOOTSTRAP_SERVERS"):
        PlatformSettings(_env_file=None, environment="production", master_key="real")


def test_database_passwords_are_redacted_for_files_and_screens():
    from services.tooling.embedded import redact

    assert redact("postgresql://lapor:s3cret@db.internal:5432/lapor") == (
        "postgresql://lapor:***@db.internal:5432/lapor"
    )
    assert redact("postgresql://postgres:@/postgres?host=/var/pg") == (
        "postgresql://postgres:@/postgres?host=/var/pg"
    )


def test_production_refuses_demo_keys_and_the_adjustable_clock(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/lapor")
    real = PlatformSettings(_env_file=None, environment="production", master_key="real")
    assert real.demo_keys is False and real.adjustable_clock is False
    for flag in ("demo_keys", "adjustable_clock"):
        with pytest.raises(ValidationError, match="refused in production"):
            PlatformSettings(
                _env_file=None,
                environment="production",
                master_key="real",
                **{flag: True},
            )
    development = PlatformSettings(_env_file=None)
    assert development.demo_keys is True and development.adjustable_clock is True


def test_topics_that_may_carry_contacts_keep_them_only_for_the_retention():
    from services.platform.kafka import platform_topics, topic_configs

    settings = PlatformSettings(_env_file=None, environment="test", personal_data_retention_hours=6)
    configs = topic_configs(settings)
    six_hours = str(6 * 3_600_000)
    assert configs[settings.intake_topic]["retention.ms"] == six_hours
    assert configs[settings.dead_letter_topic]["retention.ms"] == six_hours
    # The history and the signed checkpoints are kept forever, never compacted.
    for forever in (settings.events_topic, settings.checkpoints_topic):
        assert configs[forever] == {
            "cleanup.policy": "delete",
            "retention.ms": "-1",
            "retention.bytes": "-1",
        }
    # No topic is left to the broker's default.
    assert set(configs) == set(platform_topics(settings))
    assert all("retention.ms" in config for config in configs.values())


def test_each_channel_has_its_own_results_topic():
    from services.platform.kafka import platform_topics

    settings = PlatformSettings(
        _env_file=None, environment="test", channel_keys={"kios-desa": "k-1"}
    )
    names = set(platform_topics(settings))
    assert {"lapor.intake-results.kios-desa.v1", "lapor.intake-results.sms.v1"} <= names
    assert "lapor.intake-results.v1" not in names


def test_rates_must_be_readable():
    with pytest.raises(ValueError, match="filing_rate_per_client"):
        IntakeSettings(_env_file=None, environment="test", filing_rate_per_client="lots")
    with pytest.raises(ValueError, match="agency_rate_per_key"):
        PlatformSettings(_env_file=None, environment="test", agency_rate_per_key="lots")


def test_the_readme_lists_every_setting_as_the_classes_declare_it():
    """The configuration table is made from the classes; the README must carry it unchanged
    (`python -m services settings-table --write` makes it anew)."""
    from pathlib import Path

    from services.tooling.settings_table import OWNERS, table, with_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert with_table(readme) == readme, "run: python -m services settings-table --write"
    rows = table().splitlines()[2:]
    declared = {name for _, cls in OWNERS for name in cls.model_fields}
    assert len(rows) == len(declared)
    assert "| `LAPOR_MAX_REFUSALS` | routing | `2` |" in table()
    assert "| `LAPOR_CHECKPOINT_INTERVAL_S` | reporting | `300` |" in table()


def test_each_service_reads_its_own_settings_from_the_environment(monkeypatch):
    """A service's factory builds its class from the same `LAPOR_` variables; a variable of
    one service is not a field of another's."""
    from followup.settings import FollowupSettings
    from routing.settings import RoutingSettings

    monkeypatch.setenv("LAPOR_MAX_REFUSALS", "4")
    monkeypatch.setenv("LAPOR_MAX_AGENCY_MESSAGES", "7")
    assert RoutingSettings(_env_file=None).max_refusals == 4
    assert FollowupSettings(_env_file=None).max_agency_messages == 7
    assert "max_refusals" not in FollowupSettings.model_fields
    assert "max_agency_messages" not in PlatformSettings.model_fields
