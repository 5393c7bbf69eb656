"""A regional system connected to the backbone: consume the agency's own queue, acknowledge
each new complaint with a signed reply, and print the outcome notices.

    python docs/examples/agency_connector.py kota-bandung demo-kota-bandung [--once]

The API key signs replies (header lapor_signature = hex HMAC-SHA256 of the message bytes);
it never travels itself. Reads var/endpoints.json (or $LAPOR_VAR_DIR/endpoints.json).
"""

import asyncio
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main(agency: str, api_key: str, once: bool) -> None:
    endpoints = json.loads(
        (Path(os.environ.get("LAPOR_VAR_DIR", "var")) / "endpoints.json").read_text()
    )
    bootstrap, topics = endpoints["kafka_bootstrap_servers"], endpoints["topics"]
    queue = topics["agency_queue_pattern"].replace("<agency-code>", agency)
    # The broker knows the agency as agency-<code>; in development its password is the API key.
    auth = broker_auth(endpoints, f"agency-{agency}", api_key)
    consumer = AIOKafkaConsumer(
        queue,
        bootstrap_servers=bootstrap,
        **auth,
        group_id=f"agency-{agency}",  # its own group (ACL); a restart goes on where it stopped
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **auth)
    await consumer.start()
    await producer.start()
    try:
        async for record in consumer:
            message = json.loads(record.value)
            kind = dict(record.headers).get("lapor_type", b"").decode()
            if kind == "reply-notice":
                print(
                    f"reply {message['reply_id']}: {message['status']} {message.get('error') or ''}"
                )
                if once:
                    break
            elif kind == "work-item" and message["reason"] in ("disposed", "escalated", "reopened"):
                print(
                    f"work item {message['tracking_id']} ({message['reason']}): {message['title']}"
                )
                reply = {
                    # stable: a re-sent reply is applied once
                    "reply_id": f"ack-{message['work_item_id']}",
                    "agency_code": agency,
                    "complaint_id": message["complaint_id"],
                    "action": "acknowledge",
                }
                body = json.dumps(reply).encode()
                signature = hmac.new(api_key.encode(), body, hashlib.sha256).hexdigest()
                await producer.send_and_wait(
                    topics["agency_replies"],
                    body,
                    key=message["complaint_id"].encode(),
                    headers=[("lapor_signature", signature.encode())],
                )
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


def broker_auth(endpoints: dict, username: str, password: str) -> dict:
    """aiokafka's keywords for the broker's SASL (none where it is open)."""
    protocol = endpoints.get("broker_security_protocol", "PLAINTEXT")
    if protocol == "PLAINTEXT":
        return {}
    return {
        "security_protocol": protocol,
        "sasl_mechanism": endpoints["broker_sasl_mechanism"],
        "sasl_plain_username": username,
        "sasl_plain_password": password,
    }


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], "--once" in sys.argv))
