# Eventarc creates the subscriptions behind the triggers and the provider cannot set their
# dead-letter policy (hashicorp/terraform-provider-google#25069, #17697), so gcloud does, once per
# subscription. Without it a message that always fails is retried until Pub/Sub's retention ends.
locals {
  trigger_subscriptions = merge(
    { for name, fn in google_cloudfunctions2_function.event : name => { trigger = fn.event_trigger[0].trigger, subscription = "" } },
    { for key, trigger in google_eventarc_trigger.extra : key => { trigger = trigger.id, subscription = trigger.transport[0].pubsub[0].subscription } },
  )
}

resource "terraform_data" "dead_letter" {
  for_each = var.configure_dead_letter ? local.trigger_subscriptions : {}
  input = {
    project      = var.project_id
    region       = var.region
    trigger      = each.value.trigger
    subscription = each.value.subscription
    topic        = google_pubsub_topic.topics["deadLetter"].id
    attempts     = local.kfguard.max_delivery_attempts
    agent        = local.pubsub_agent
  }
  triggers_replace = [each.value.trigger, each.value.subscription]

  provisioner "local-exec" {
    command = "${path.module}/scripts/eventarc-dead-letter.sh"
    environment = {
      PROJECT           = self.input.project
      REGION            = self.input.region
      TRIGGER           = self.input.trigger
      SUBSCRIPTION      = self.input.subscription
      DEAD_LETTER_TOPIC = self.input.topic
      MAX_ATTEMPTS      = tostring(self.input.attempts)
      PUBSUB_AGENT      = self.input.agent
    }
  }
  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}
