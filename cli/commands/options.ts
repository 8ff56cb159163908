import type { Command } from 'commander';

/** The engine's flags (env in parentheses); see cli/env-config.ts. */
export function withEngineOptions(command: Command): Command {
  return command
    .option(
      '--app-id <id>',
      'application id: consumer group and prefix of internal topics (env SALDO_APPLICATION_ID)',
    )
    .option('--brokers <list>', 'Kafka bootstrap servers, comma-separated (env KAFKA_BROKERS)')
    .option('--state-dir <dir>', 'where local state stores live (env SALDO_STATE_DIR)')
    .option('--guarantee <mode>', 'exactly-once or at-least-once (env SALDO_PROCESSING_GUARANTEE)')
    .option('--commit-interval-ms <ms>', 'commit interval (env SALDO_COMMIT_INTERVAL_MS)')
    .option('--instance-id <id>', 'this instance in logs and client ids (env SALDO_INSTANCE_ID)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SALDO_LOG_LEVEL)')
    .option('--stream-threads <n>', 'stream threads of this instance (env SALDO_STREAM_THREADS)');
}

/** Which topology, and the counting topology's topics. */
export function withTopologyOptions(command: Command): Command {
  return command
    .option('--topology <name>', 'product (balances) or counting (the engine reference)', 'product')
    .option('--input <topic>', 'counting topology: input topic', 'transactions')
    .option('--output <topic>', 'counting topology: output topic', 'account-totals');
}

/** The product's flags (env in parentheses); see cli/product-config.ts. */
export function withProductOptions(command: Command): Command {
  return command
    .option('--registry-url <url>', 'schema registry, Confluent API (env SCHEMA_REGISTRY_URL)')
    .option('--redis-url <url>', 'Redis serving cache (env REDIS_URL)')
    .option(
      '--redis-key-prefix <prefix>',
      'prefix of the Redis keys (env SALDO_REDIS_KEY_PREFIX, default saldo:)',
    )
    .option(
      '--transactions-topic <topic>',
      'input topic (env SALDO_TRANSACTIONS_TOPIC, default transactions)',
    )
    .option(
      '--balances-topic <topic>',
      'output topic, compacted (env SALDO_BALANCES_TOPIC, default balances)',
    )
    .option(
      '--limits-topic <topic>',
      'input table of account limits, compacted (env SALDO_LIMITS_TOPIC, default account-limits)',
    )
    .option(
      '--alerts-topic <topic>',
      'output topic of fraud alerts (env SALDO_ALERTS_TOPIC, default fraud-alerts)',
    )
    .option(
      '--rules <file>',
      'the fraud rule set, JSON (env SALDO_RULES, default topologies/fraud/default-rules.json)',
    )
    .option('--no-fraud', 'run the balances alone, without velocity, limits and rules (env SALDO_FRAUD=off)')
    .option(
      '--fraud-grace <duration>',
      'how late a transaction still counts in its velocity windows (env SALDO_FRAUD_GRACE, default 5m)',
    )
    .option(
      '--hold-expiry <duration>',
      'how long authorizations hold, event time (env SALDO_HOLD_EXPIRY, default 7d)',
    )
    .option(
      '--dedup-retention <duration>',
      'how long transaction ids are remembered (env SALDO_DEDUP_RETENTION, default 30d)',
    )
    .option(
      '--max-event-time-ahead <duration>',
      'refuse transactions timestamped further ahead of the clock (env SALDO_MAX_EVENT_TIME_AHEAD, default 1d)',
    );
}
