import type { StreamsConfig } from './config.ts';
import { SaldoError, describeError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';

/** An instance's JSON logger: its level, and the app and instance on every line. */
export function instanceLogger(config: StreamsConfig): Logger {
  return createLogger({
    level: config.logLevel,
    base: { app: config.applicationId, instance: config.instanceId },
  });
}

/**
 * The app's life cycle, as Kafka Streams' KafkaStreams.State:
 *   created -> starting -> running -> pending-shutdown -> stopped
 *   starting | running -> failed
 */
export type AppState = 'created' | 'starting' | 'running' | 'pending-shutdown' | 'stopped' | 'failed';

const appTransitions: Record<AppState, readonly AppState[]> = {
  created: ['starting', 'stopped'],
  starting: ['running', 'pending-shutdown', 'failed'],
  running: ['pending-shutdown', 'failed'],
  'pending-shutdown': ['stopped'],
  stopped: [],
  failed: ['pending-shutdown', 'stopped'],
};

/** An app's state (StreamsApp, StreamThreadsApp): only legal transitions, each one logged. */
export class AppLifecycle {
  readonly #appId: string;
  readonly #logger: Logger;
  #state: AppState = 'created';

  constructor(appId: string, logger: Logger) {
    this.#appId = appId;
    this.#logger = logger;
  }

  get state(): AppState {
    return this.#state;
  }

  transitionTo(next: AppState): void {
    if (!appTransitions[this.#state].includes(next)) {
      throw new SaldoError(`app ${this.#appId}: illegal transition ${this.#state} -> ${next}`);
    }
    this.#logger.info({ from: this.#state, to: next }, `app ${this.#state} -> ${next}`);
    this.#state = next;
  }
}

/**
 * What an instance that cannot go on does by default (its group consumer, or one of its stream
 * threads, failed for good): it stops, and exits non-zero so that its supervisor restarts it.
 */
export function exitNonZero(): void {
  process.exitCode = 1;
}

/**
 * SIGTERM/SIGINT: a clean stop (finish the batch, commit, close stores, leave the group), then exit
 * with `exitCode()`, or with 1 if the stop itself failed.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<unknown>, exitCode: () => number): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received; shutting down');
    stop()
      .then(() => process.exit(exitCode()))
      .catch((error: unknown) => {
        logger.error({ error: describeError(error) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
