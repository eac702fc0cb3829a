#!/bin/sh
# Attaches kfguard's dead-letter topic to the Pub/Sub subscription behind an Eventarc trigger.
# Called by Terraform (dead-letter.tf) with PROJECT, REGION, TRIGGER (full name), SUBSCRIPTION
# (full name, or empty to look it up from the trigger), DEAD_LETTER_TOPIC, MAX_ATTEMPTS, PUBSUB_AGENT.
set -eu

subscription="${SUBSCRIPTION:-}"
if [ -z "$subscription" ]; then
  subscription=$(gcloud eventarc triggers describe "${TRIGGER##*/}" --project="$PROJECT" --location="$REGION" --format='value(transport.pubsub.subscription)')
fi
if [ -z "$subscription" ]; then
  echo "eventarc-dead-letter: trigger $TRIGGER has no Pub/Sub subscription yet" >&2
  exit 1
fi

# The Pub/Sub service agent must be able to acknowledge what it forwards to the dead-letter topic.
gcloud pubsub subscriptions add-iam-policy-binding "$subscription" --project="$PROJECT" \
  --member="$PUBSUB_AGENT" --role=roles/pubsub.subscriber --condition=None >/dev/null
gcloud pubsub subscriptions update "$subscription" --project="$PROJECT" \
  --dead-letter-topic="$DEAD_LETTER_TOPIC" --max-delivery-attempts="$MAX_ATTEMPTS" \
  --min-retry-delay=10s --max-retry-delay=600s
echo "eventarc-dead-letter: $subscription → $DEAD_LETTER_TOPIC after $MAX_ATTEMPTS attempts"
