"""Every topic states how long it keeps its messages, in the one catalogue (events/topics), and
the production script (deploy/kafka/create-topics.sh) creates each with the same retention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events.topics import FOREVER, PERSONAL_DATA, TOPICS, Retention, Topic, topic_of

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "create-topics.sh"


def test_every_topic_states_its_retention_and_why():
    for topic in TOPICS:
        assert isinstance(topic.retention, Retention), topic.channel
        assert topic.retention.why, topic.channel
        keep = topic.retention.keep
        assert keep in (FOREVER, PERSONAL_DATA) or (isinstance(keep, int) and keep > 0)


def test_a_topic_without_a_stated_retention_cannot_be_declared():
    with pytest.raises(TypeError):
        Topic("nameless", "nameless", (), ())  # type: ignore[call-arg]


def test_full_names_find_their_catalogue_entry():
    assert topic_of("lapor", "lapor.agency.kota-bandung.v1").channel == "agencyQueue"
    assert topic_of("lapor", "lapor.intake-results.sms.v1").channel == "intakeResults"
    assert topic_of("lapor", "lapor.imports.lapor-bandung.v1").channel == "systemImports"
    assert topic_of("lapor", "lapor.intake.v1").channel == "intake"
    with pytest.raises(KeyError):
        topic_of("lapor", "lapor.something-else.v1")


def _script_retentions() -> dict[str, str]:
    """Each topic the script creates -> the retention it gives it (forever, personal-data or
    `<n>d`), read from its `create` calls."""
    text = SCRIPT.read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        call = re.match(r'\s*create "\$prefix\.([^"]+)\.v1"(.*)', line)
        if not call:
            continue
        name, rest = call.groups()
        ms = re.search(r"retention\.ms=([^\s\"]+)", rest)
        value = ms.group(1) if ms else "unset"
        if value == "-1":
            found[name] = FOREVER
        elif value == "$personal_data_ms":
            found[name] = PERSONAL_DATA
        elif value == "$week_ms":
            found[name] = "7"
        else:
            found[name] = value
    return found


SHELL_PARAMETERS = {"{channel}": "$name", "{agencyCode}": "$code"}
"""How the script names a topic's parameter."""
OPENED_ELSEWHERE = {"systemImports"}
"""Opened one by one by `python -m services systems open-topic`, which takes its configuration
from the catalogue (`services/tooling/system_topics.py`)."""


def test_the_production_script_gives_every_topic_the_catalogue_retention():
    created = _script_retentions()
    for topic in TOPICS:
        if topic.channel in OPENED_ELSEWHERE:
            continue
        name = topic.name
        for parameter, variable in SHELL_PARAMETERS.items():
            name = name.replace(parameter, variable)
        assert name in created, f"create-topics.sh does not create {topic.name}"
        assert created[name] == str(topic.retention.keep), topic.name
