"""A channel files a complaint on the intake topic and waits for its result.

    python docs/examples/channel_publish.py            (against `make run`)

Reads var/endpoints.json (or $LAPOR_VAR_DIR/endpoints.json) for the broker and topic names.
"""

import asyncio
import json
import os
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main() -> None:
    endpoints = json.loads(
        (Path(os.environ.get("LAPOR_VAR_DIR", "var")) / "endpoints.json").read_text()
    )
    bootstrap, topics = endpoints["kafka_bootstrap_servers"], endpoints["topics"]
    submission = {
        "submission_id": f"sms-{uuid.uuid4()}",  # the channel's own id: re-sending is harmless
        "channel": "sms-1708",
        "kind": "complaint",
        "title": "Lampu penerangan jalan mati",
        "description": "Sudah seminggu lampu di Jl. Merdeka mati, rawan kecelakaan.",
        "category": "jalan",
        "region_code": "32.73",
        "anonymous": False,
        "confidential": False,
        "reporter": {"name": "Dewi Lestari", "phone": "+62 813 5555 0101"},
    }
    # The broker knows the channel as channel-<name>; in development its password is its key.
    auth = {}
    if endpoints.get("broker_security_protocol", "PLAINTEXT") != "PLAINTEXT":
        auth = {
            "security_protocol": endpoints["broker_security_protocol"],
            "sasl_mechanism": endpoints["broker_sasl_mechanism"],
            "sasl_plain_username": "channel-sms",
            "sasl_plain_password": os.environ.get("LAPOR_CHANNEL_KEY", "demo-channel-sms"),
        }
    results_topic = topics["intake_results_pattern"].replace("<channel>", "sms")
    results = AIOKafkaConsumer(results_topic, bootstrap_servers=bootstrap, **auth)
    await results.start()  # from the end: only results from now on
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **auth)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics["intake"],
            json.dumps(submission).encode(),
            key=submission["submission_id"].encode(),
        )
        async for record in results:
            result = json.loads(record.value)
            if result["submission_id"] == submission["submission_id"]:
                print(json.dumps(result, indent=2))
                break
    finally:
        await producer.stop()
        await results.stop()


if __name__ == "__main__":
    asyncio.run(main())
