export type MessageState = 'pending' | 'acked' | 'dead-lettered' | 'dropped';
export type FinalState = Exclude<MessageState, 'pending'>;

/** The fate of every (message, subscription) pair, kept for the whole life of the server. */
export class DeliveryLedger {
  private readonly states = new Map<string, Map<string, MessageState>>();
  private readonly totals: Record<MessageState, number> = { pending: 0, acked: 0, 'dead-lettered': 0, dropped: 0 };

  open(messageId: string, subscription: string): void {
    let bySubscription = this.states.get(messageId);
    if (!bySubscription) this.states.set(messageId, (bySubscription = new Map()));
    bySubscription.set(subscription, 'pending');
    this.totals.pending += 1;
  }

  /** Only a pending pair moves; a late duplicate ack cannot rewrite history. Returns whether it moved. */
  settle(messageId: string, subscription: string, state: FinalState): boolean {
    const bySubscription = this.states.get(messageId);
    if (bySubscription?.get(subscription) !== 'pending') return false;
    bySubscription.set(subscription, state);
    this.totals.pending -= 1;
    this.totals[state] += 1;
    return true;
  }

  /** Unknown ids map to {}: the same answer as for a message published when its topic had no subscriptions. */
  statesOf(messageIds: readonly string[]): Record<string, Record<string, MessageState>> {
    const result: Record<string, Record<string, MessageState>> = {};
    for (const id of messageIds) result[id] = Object.fromEntries(this.states.get(id) ?? []);
    return result;
  }

  count(state: MessageState): number {
    return this.totals[state];
  }
}
