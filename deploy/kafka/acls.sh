#!/usr/bin/env bash
# Example ACLs for the lapor topics: who may read and write what. Review before use.
#
# Usage:
#   acls.sh [-b HOST:PORT] [-c admin.properties] [--dry-run]
#
#   -b / --bootstrap-server   KAFKA_BOOTSTRAP_SERVERS   (required unless --dry-run)
#   -c / --command-config     KAFKA_COMMAND_CONFIG      admin client properties (TLS/SASL)
#   --dry-run                 DRY_RUN=1                 print the commands, run nothing
#
# Who (environment, comma- or space-separated):
#   LAPOR_AGENCIES    agency codes, e.g. "kemenkes,prov-jawa-barat,kota-bandung,national-admin"
#                     -> User:agency-<code> (GET /v1/agencies on routing lists the codes; the
#                     national admin reads the queue "national-admin")
#   LAPOR_CHANNELS    intake channels, e.g. "web,sms,call-center"      -> User:channel-<name>
#   LAPOR_AUDITORS    auditors, e.g. "ombudsman"                         -> User:auditor-<name>
#   RELAY_PRINCIPAL   the outbox relay, default "User:lapor-relay"; likewise INTAKE_PRINCIPAL,
#                     ROUTING_PRINCIPAL, FOLLOWUP_PRINCIPAL, REPORTING_PRINCIPAL
#                     (default User:lapor-intake, -routing, -followup, -reporting)
#   LAPOR_TOPIC_PREFIX  default "lapor"
#
# ACLs only mean something on a cluster that authenticates its clients and authorizes them.
# The brokers need (KRaft):
#   listeners with SASL_SSL (or mTLS) for every client -- never PLAINTEXT outside a lab
#   authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
#   allow.everyone.if.no.acl.found=false     # no ACL = denied
#   super.users=User:admin                   # the operators' principal (and the brokers')
# The compose example (deploy/compose.yaml) has none of this: it is PLAINTEXT and open.
# The embedded Apache Kafka (`make run`, the tests) has all of it, on loopback, and applies
# exactly these ACLs: `infra up` runs this script with --dry-run for its own agencies,
# channels and auditors, parses every printed command (services/tooling/broker_auth.py) and
# creates the bindings in one admin request, as User:admin, idempotently.
#
# Every ACL an agency gets is LITERAL: a prefixed ACL on "lapor.agency.kota-bandung" would also
# match a queue "lapor.agency.kota-bandung.x.v1", i.e. give one agency another's queue. Only the
# platform's writers (routing, followup) hold a prefixed ACL, on every queue.
# Read and Write imply Describe, so no separate Describe ACLs are needed for them.

set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-}"
command_config="${KAFKA_COMMAND_CONFIG:-}"
dry_run="${DRY_RUN:-0}"

while (($#)); do
  case "$1" in
    -b | --bootstrap-server) bootstrap="${2:?$1 needs a value}"; shift 2 ;;
    -c | --command-config) command_config="${2:?$1 needs a value}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ -z "$bootstrap" && "$dry_run" != 1 ]]; then
  echo "no bootstrap server: pass -b HOST:PORT or set KAFKA_BOOTSTRAP_SERVERS" >&2
  exit 2
fi

if [[ -z "${KAFKA_BIN:-}" ]]; then
  if command -v kafka-acls.sh >/dev/null 2>&1; then
    KAFKA_BIN="$(dirname "$(command -v kafka-acls.sh)")"
  else
    KAFKA_BIN=/opt/kafka/bin
  fi
fi

split() { local list="${1//,/ }"; echo "$list"; }
read -r -a agencies <<<"$(split "${LAPOR_AGENCIES:-}")"
read -r -a channels <<<"$(split "${LAPOR_CHANNELS:-}")"
read -r -a auditors <<<"$(split "${LAPOR_AUDITORS:-}")"
relay="${RELAY_PRINCIPAL:-User:lapor-relay}"
prefix="${LAPOR_TOPIC_PREFIX:-lapor}"

events="$prefix.complaint-events.v1"
intake="$prefix.intake.v1"
results_prefix="$prefix.intake-results." # one results topic per channel: <prefix>.intake-results.<name>.v1
replies="$prefix.agency-replies.v1"
imports_prefix="$prefix.imports." # one import topic per connected system: <prefix>.imports.<code>.v1
checkpoints="$prefix.checkpoints.v1"
dead_letter="$prefix.dead-letter.v1"

client_args=(--bootstrap-server "${bootstrap:-BOOTSTRAP}")
if [[ -n "$command_config" ]]; then
  client_args+=(--command-config "$command_config")
fi

valid_name() {
  if [[ ! "$1" =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$|^[a-z0-9]$ ]]; then
    echo "invalid name: '$1'" >&2
    exit 2
  fi
}

run() {
  if [[ "$dry_run" == 1 ]]; then
    printf '%q ' "$KAFKA_BIN/kafka-acls.sh" "${client_args[@]}" "$@"
    echo
  else
    "$KAFKA_BIN/kafka-acls.sh" "${client_args[@]}" "$@"
  fi
}

# allow PRINCIPAL OPERATION --topic|--group NAME
allow() {
  run --add --allow-principal "$1" --operation "$2" --resource-pattern-type literal "$3" "$4"
}

# deny PRINCIPAL OPERATION --topic|--group NAME  (DENY wins over any ALLOW, now or added later)
deny() {
  run --add --deny-principal "$1" --operation "$2" --resource-pattern-type literal "$3" "$4"
}

# --- Agencies --------------------------------------------------------------------------------
# Each agency reads only its own queue, with its own consumer group, and writes replies.
for code in "${agencies[@]}"; do
  valid_name "$code"
  principal="User:agency-$code"
  allow "$principal" Read --topic "$prefix.agency.$code.v1"
  allow "$principal" Read --group "agency-$code"
  allow "$principal" Write --topic "$replies"
  # complaint-events carries every complaint of every agency. No ALLOW exists for agencies, so
  # they are already denied; the explicit DENY keeps it so if someone later adds a broad ALLOW
  # (e.g. for User:*) on that topic.
  deny "$principal" All --topic "$events"
done

# --- Intake channels ---------------------------------------------------------------------------
# A channel submits complaints (signed with its key) and reads only its own results topic, which
# carries its reporters' access tokens.
for name in "${channels[@]}"; do
  valid_name "$name"
  principal="User:channel-$name"
  allow "$principal" Write --topic "$intake"
  allow "$principal" Read --topic "$results_prefix$name.v1"
  allow "$principal" Read --group "channel-$name" # only needed if it consumes in a group
  deny "$principal" All --topic "$events"
done

# --- The platform's own processes ----------------------------------------------------------------
# One principal per service, with exactly the topics and consumer groups it uses. Every service
# checks at start that the platform topics exist (Describe); none may create a topic: they come
# from create-topics.sh with the right partitions and replication, never from a client (in the
# embedded deployment: from `infra up`, as User:admin). That includes the relay: the topics it
# would re-create after a broker lost them are the operator's to re-create (on Apache Kafka a
# broker that lost its topics lost its users and ACLs too, and is provisioned again as a whole);
# the relay then puts the history back as usual.
queues="$prefix.agency." # every agency queue: only the platform writes them (prefixed ACL)
platform_topics=("$events" "$intake" "$replies" "$dead_letter" "$checkpoints")
describe_platform_topics() {
  for topic in "${platform_topics[@]}"; do allow "$1" Describe --topic "$topic"; done
}
allow_prefixed() {
  run --add --allow-principal "$1" --operation "$2" --resource-pattern-type prefixed "$3" "$4"
}

# The outbox relay: publishes complaint-events.
describe_platform_topics "$relay"
allow "$relay" Write --topic "$events"

# intake: the intake topic (faust app "<prefix>-intake-topic"), results, dead letters.
intake_user="${INTAKE_PRINCIPAL:-User:lapor-intake}"
describe_platform_topics "$intake_user"
allow "$intake_user" Read --topic "$intake"
allow "$intake_user" Read --group "$prefix-intake-topic"
allow_prefixed "$intake_user" Write --topic "$results_prefix"
allow_prefixed "$intake_user" Describe --topic "$results_prefix"
allow "$intake_user" Write --topic "$dead_letter"
# ... and every connected system's import topic (each written only by User:system-<code>, whose
# credential and ACL `python -m services systems open-topic CODE` creates at run time).
allow_prefixed "$intake_user" Read --topic "$imports_prefix"
allow "$intake_user" Read --group "$prefix-system-imports"

# routing: reads every complaint event, writes every agency's queue.
routing_user="${ROUTING_PRINCIPAL:-User:lapor-routing}"
describe_platform_topics "$routing_user"
allow "$routing_user" Read --topic "$events"
allow "$routing_user" Read --group "$prefix-routing"
allow_prefixed "$routing_user" Write --topic "$queues"
allow_prefixed "$routing_user" Describe --topic "$queues"
allow "$routing_user" Write --topic "$dead_letter"

# followup: reads every complaint event and the agencies' replies (faust app
# "<prefix>-agency-replies"); writes reply notices to the agencies' queues.
followup_user="${FOLLOWUP_PRINCIPAL:-User:lapor-followup}"
describe_platform_topics "$followup_user"
allow "$followup_user" Read --topic "$events"
allow "$followup_user" Read --group "$prefix-followup"
allow "$followup_user" Read --topic "$replies"
allow "$followup_user" Read --group "$prefix-agency-replies"
allow_prefixed "$followup_user" Write --topic "$queues"
allow "$followup_user" Write --topic "$dead_letter"

# reporting: reads every complaint event into the read models.
reporting_user="${REPORTING_PRINCIPAL:-User:lapor-reporting}"
describe_platform_topics "$reporting_user"
allow "$reporting_user" Read --topic "$events"
allow "$reporting_user" Read --group "$prefix-reporting"
allow "$reporting_user" Write --topic "$dead_letter"
allow "$reporting_user" Write --topic "$checkpoints"

# --- Auditors ------------------------------------------------------------------------------------
# Read the full history, with their own consumer group.
for name in "${auditors[@]}"; do
  valid_name "$name"
  principal="User:auditor-$name"
  allow "$principal" Read --topic "$events"
  allow "$principal" Read --topic "$checkpoints"
  allow "$principal" Read --group "auditor-$name"
done

if [[ "$dry_run" != 1 ]]; then
  echo "ACLs now on the cluster:"
  "$KAFKA_BIN/kafka-acls.sh" "${client_args[@]}" --list
fi
