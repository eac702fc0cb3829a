/** Rejection of waitForIdle when the timeout passes first; the admin server answers it with 504. */
export class IdleTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdleTimeoutError';
  }
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Promises that resolve the next time the owner reports it is idle, each with its own timeout. */
export class IdleWaiters {
  private readonly waiters = new Set<Waiter>();

  wait(timeoutMs: number, describeBusy: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new IdleTimeoutError(`not idle after ${timeoutMs} ms: ${describeBusy()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  resolveAll(): void {
    for (const waiter of this.drain()) waiter.resolve();
  }

  rejectAll(error: Error): void {
    for (const waiter of this.drain()) waiter.reject(error);
  }

  private drain(): Waiter[] {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) clearTimeout(waiter.timer);
    return waiters;
  }
}
