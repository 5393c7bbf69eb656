#!/usr/bin/env bash
# Create the lapor topics on a production Kafka cluster. Idempotent: safe to run on every deploy.
#
# Usage:
#   create-topics.sh [-b HOST:PORT[,HOST:PORT...]] [-c client.properties] [AGENCY_CODE ...]
#
# Arguments and their environment fallbacks:
#   -b / --bootstrap-server   KAFKA_BOOTSTRAP_SERVERS   (required, one way or the other)
#   -c / --command-config     KAFKA_COMMAND_CONFIG      client properties for TLS/SASL (optional)
#   AGENCY_CODE ...           LAPOR_AGENCIES            comma- or space-separated, e.g.
#                                                       "kemenkes,prov-jawa-barat,kota-bandung"
# Other knobs (environment only):
#   LAPOR_TOPIC_PREFIX      topic prefix, default "lapor" (must match the services' setting)
#   LAPOR_EVENT_PARTITIONS  partitions of complaint-events and of the intake/replies topics,
#                           default 6 (must match the services' setting)
#   LAPOR_AGENCY_PARTITIONS          partitions of each agency work queue, default 3
#   LAPOR_CHANNELS          intake channels, comma- or space-separated: one results topic each
#                           (one partition)
#   LAPOR_PERSONAL_DATA_RETENTION_HOURS  retention of intake and dead-letter, default 72
#   LAPOR_TOPIC_REPLICATION_FACTOR   default 3
#   LAPOR_TOPIC_MIN_INSYNC_REPLICAS  default 2 (with acks=all: a write survives losing a broker)
#                           (deploy/kafka/topics.env holds all four; the older names
#                           AGENCY_PARTITIONS, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS still work)
#   KAFKA_BIN               directory holding kafka-topics.sh; default: found on PATH, else
#                           /opt/kafka/bin (where the apache/kafka image keeps it)
#
# `--if-not-exists` never changes a topic that already exists. The script therefore checks the
# one setting that must never be wrong -- complaint-events keeps everything and is not compacted --
# and fails loudly if an existing topic disagrees, instead of silently leaving it as it is.

set -euo pipefail

# Print the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-}"
command_config="${KAFKA_COMMAND_CONFIG:-}"
agencies=()

while (($#)); do
  case "$1" in
    -b | --bootstrap-server) bootstrap="${2:?$1 needs a value}"; shift 2 ;;
    -c | --command-config) command_config="${2:?$1 needs a value}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; agencies+=("$@"); break ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) agencies+=("$1"); shift ;;
  esac
done

if ((${#agencies[@]} == 0)) && [[ -n "${LAPOR_AGENCIES:-}" ]]; then
  read -r -a agencies <<<"${LAPOR_AGENCIES//,/ }"
fi

if [[ -z "$bootstrap" ]]; then
  echo "no bootstrap server: pass -b HOST:PORT or set KAFKA_BOOTSTRAP_SERVERS" >&2
  exit 2
fi

prefix="${LAPOR_TOPIC_PREFIX:-lapor}"
event_partitions="${LAPOR_EVENT_PARTITIONS:-6}"
agency_partitions="${LAPOR_AGENCY_PARTITIONS:-${AGENCY_PARTITIONS:-3}}"
replication="${LAPOR_TOPIC_REPLICATION_FACTOR:-${REPLICATION_FACTOR:-3}}"
min_isr="${LAPOR_TOPIC_MIN_INSYNC_REPLICAS:-${MIN_INSYNC_REPLICAS:-2}}"

if [[ -z "${KAFKA_BIN:-}" ]]; then
  if command -v kafka-topics.sh >/dev/null 2>&1; then
    KAFKA_BIN="$(dirname "$(command -v kafka-topics.sh)")"
  else
    KAFKA_BIN=/opt/kafka/bin
  fi
fi

# Same rule as LAPOR_TOPIC_PREFIX in services/settings.py.
if [[ ! "$prefix" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]]; then
  echo "invalid LAPOR_TOPIC_PREFIX: $prefix" >&2
  exit 2
fi

client_args=(--bootstrap-server "$bootstrap")
if [[ -n "$command_config" ]]; then
  client_args+=(--command-config "$command_config")
fi


# create NAME PARTITIONS [--config key=value ...]
create() {
  local name="$1" partitions="$2"
  shift 2
  echo "topic $name (partitions=$partitions, replication=$replication)"
  "$KAFKA_BIN/kafka-topics.sh" "${client_args[@]}" --create --if-not-exists \
    --topic "$name" --partitions "$partitions" --replication-factor "$replication" \
    --config "min.insync.replicas=$min_isr" "$@"
}

# Wait for the cluster to answer (a fresh cluster may still be electing its controller).
for attempt in $(seq 1 30); do
  if "$KAFKA_BIN/kafka-topics.sh" "${client_args[@]}" --list >/dev/null 2>&1; then
    break
  fi
  if ((attempt == 30)); then
    echo "Kafka at $bootstrap did not answer" >&2
    exit 1
  fi
  echo "waiting for Kafka at $bootstrap ($attempt/30)"
  sleep 2
done

events_topic="$prefix.complaint-events.v1"
# Every topic's retention is the one events/topics.py states (a unit test compares them):
# forever, the personal-data retention, or a week.
personal_data_ms=$((${LAPOR_PERSONAL_DATA_RETENTION_HOURS:-72} * 3600000))
week_ms=$((7 * 86400000))

# Every complaint event, keyed by complaint id, kept forever.
#  - cleanup.policy=delete with retention.ms=-1: nothing is ever deleted. NOT compact: compaction
#    would keep only the latest event of each complaint (the key) and destroy the history.
#  - The partition count must never change afterwards: adding partitions moves keys to other
#    partitions and breaks the per-complaint ordering consumers rely on.
create "$prefix.complaint-events.v1" "$event_partitions" \
  --config cleanup.policy=delete \
  --config retention.ms=-1 \
  --config retention.bytes=-1

# Intake from the channels: may carry reporters' contacts in clear, so kept only for the
# personal-data retention (LAPOR_PERSONAL_DATA_RETENTION_HOURS, default 72).
create "$prefix.intake.v1" "$event_partitions" --config "retention.ms=$personal_data_ms"

# The answers back to the channels: one topic per channel (LAPOR_CHANNELS), readable only by it.
channel_list="${LAPOR_CHANNELS:-}"
read -r -a channels <<<"${channel_list//,/ }"
for name in "${channels[@]}"; do
  if [[ ! "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
    echo "invalid channel name: '$name'" >&2
    exit 2
  fi
  # One result per submission (low volume); results carry access tokens: a week.
  create "$prefix.intake-results.$name.v1" 1 --config "retention.ms=$week_ms"
done

# Replies from every agency.
create "$prefix.agency-replies.v1" "$event_partitions" --config "retention.ms=$week_ms"

# What a consumer could not decode or apply. One partition, as services/kafka.py expects.
# Its messages may be a channel's undecodable submission: the personal-data retention too.
create "$prefix.dead-letter.v1" 1 \
  --config cleanup.policy=delete \
  --config "retention.ms=$personal_data_ms"

# One work queue per agency.
for code in "${agencies[@]}"; do
  # Lower-case letters, digits, '-' and '.', e.g. kemenkes, prov-31, kota-31.71. No '_': Kafka
  # treats '.' and '_' as the same in metric names, so mixing them risks a name collision.
  if [[ ! "$code" =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$|^[a-z0-9]$ ]]; then
    echo "invalid agency code: '$code'" >&2
    exit 2
  fi
  create "$prefix.agency.$code.v1" "$agency_partitions" --config "retention.ms=$week_ms"
done

# The log's signed checkpoints (reporting publishes, auditors read): small, kept forever.
create "$prefix.checkpoints.v1" 1 \
  --config cleanup.policy=delete \
  --config retention.ms=-1 \
  --config retention.bytes=-1

# --if-not-exists skipped any topic that was already there: check the one that must be right.
config="$("$KAFKA_BIN/kafka-configs.sh" "${client_args[@]}" --describe \
  --entity-type topics --entity-name "$events_topic")"
if ! grep -Eq '^[[:space:]]*retention\.ms=-1([[:space:]]|$)' <<<"$config" ||
  ! grep -Eq '^[[:space:]]*cleanup\.policy=delete([[:space:]]|$)' <<<"$config"; then
  echo "ERROR: $events_topic exists but is not set to keep everything:" >&2
  echo "$config" >&2
  echo "fix it with: kafka-configs.sh --alter --entity-type topics --entity-name $events_topic" \
    "--add-config retention.ms=-1,retention.bytes=-1,cleanup.policy=delete" >&2
  exit 1
fi

actual_partitions="$("$KAFKA_BIN/kafka-topics.sh" "${client_args[@]}" --describe \
  --topic "$events_topic" | sed -n 's/.*PartitionCount:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)"
if [[ "$actual_partitions" != "$event_partitions" ]]; then
  echo "WARNING: $events_topic has $actual_partitions partitions," \
    "LAPOR_EVENT_PARTITIONS is $event_partitions; do not add partitions to it" >&2
fi

echo "topics ready"
