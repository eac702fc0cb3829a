import { invalidArgument } from './errors.js';

// The real service's resource-id rule: a letter, then 2-254 of letters, digits and - _ . ~ + %.
const RESOURCE_ID = '[A-Za-z][\\w.~+%-]{2,254}';
const TOPIC_NAME = new RegExp(`^projects/([^/]+)/topics/(${RESOURCE_ID})$`);
const SUBSCRIPTION_NAME = new RegExp(`^projects/([^/]+)/subscriptions/(${RESOURCE_ID})$`);

/** What the real service reports as the topic of a subscription whose topic was deleted. */
export const DELETED_TOPIC = '_deleted-topic_';

export function checkTopicName(name: string): string {
  if (!TOPIC_NAME.test(name)) throw invalidArgument(`Invalid topic name: "${name}" (expected projects/PROJECT/topics/TOPIC)`);
  return name;
}

export function checkSubscriptionName(name: string): string {
  if (!SUBSCRIPTION_NAME.test(name)) throw invalidArgument(`Invalid subscription name: "${name}" (expected projects/PROJECT/subscriptions/SUBSCRIPTION)`);
  return name;
}

/** "projects/P/..." → "P". */
export function projectOf(name: string): string {
  return name.split('/')[1] ?? '';
}

/** "projects/P/subscriptions/S" → "S". */
export function resourceIdOf(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
