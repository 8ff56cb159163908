// Retries of a Kafka request that kafkajs itself does not retry, each call site with its policy.

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** Whether an error is worth another try; any other is thrown at once. */
  readonly retryOn: (error: unknown) => boolean;
  /** The pause before retry `retry` (1 for the first). */
  readonly pauseMs: (retry: number) => number;
  /** Runs after the pause, before the next try (a metadata refresh, say). */
  readonly beforeRetry?: () => Promise<void>;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `request`, again after a pause while it fails with an error the policy retries, at most `attempts` times. */
export async function retrying<T>(request: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  for (let retry = 0; ; retry++) {
    try {
      return await request();
    } catch (error) {
      if (retry + 1 >= policy.attempts || !policy.retryOn(error)) throw error;
      await sleep(policy.pauseMs(retry + 1));
      await policy.beforeRetry?.();
    }
  }
}
