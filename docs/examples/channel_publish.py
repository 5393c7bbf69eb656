"""A channel files a complaint on the intake topic, signed with its key, and waits for the
result on its own results topic.

    python docs/examples/channel_publish.py [CHANNEL KEY]     (against `make run`)

CHANNEL and KEY default to the demo channel sms and its demo key. Reads var/endpoints.json (or
$LAPOR_VAR_DIR/endpoints.json) for the broker and topic names.
"""

import asyncio
import hashlib
import hmac
import json
import os
import sys
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main() -> None:
    endpoints = json.loads(
        (Path(os.environ.get("LAPOR_VAR_DIR", "var")) / "endpoints.json").read_text()
    )
    bootstrap, topics = endpoints["kafka_bootstrap_servers"], endpoints["topics"]
    channel, key = sys.argv[1:3] if len(sys.argv) > 2 else ("sms", "demo-channel-sms")
    submission = {
        "submission_id": f"sms-{uuid.uuid4()}",  # the channel's own id: re-sending is harmless
        "channel": channel,
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
            "sasl_plain_username": f"channel-{channel}",
            "sasl_plain_password": key,
        }
    results_topic = topics["intake_results_pattern"].replace("<channel>", channel)
    results = AIOKafkaConsumer(results_topic, bootstrap_servers=bootstrap, **auth)
    await results.start()  # from the end: only results from now on
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **auth)
    await producer.start()
    try:
        value = json.dumps(submission).encode()
        signature = hmac.new(key.encode(), value, hashlib.sha256).hexdigest()
        await producer.send_and_wait(
            topics["intake"],
            value,
            key=submission["submission_id"].encode(),
            headers=[("lapor_signature", signature.encode())],
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
