#!/usr/bin/env node
import { Command } from 'commander';
import { validateStreamsConfig } from '../processor/index.ts';
import { topologyDescriptionOf } from '../processor/topology-description.ts';
import { topologyByName } from '../topologies/index.ts';
import { withEngineOptions, withProductOptions, withTopologyOptions } from './commands/options.ts';
import { generateCommandAction, type GenerateFlags } from './generate/index.ts';
import { runCommand, type RunCommandFlags } from './commands/run.ts';
import { schemasRegisterCommand } from './commands/schemas.ts';
import { statusCommand, type StatusFlags } from './commands/status.ts';
import {
  dlqListCommand,
  dlqReplayCommand,
  dlqShowCommand,
  type DlqFlags,
  type DlqReplayFlags,
} from './commands/dlq.ts';
import { formatDeadLetters, type DeadLetter } from './dlq/dead-letters.ts';
import { formatStateGet, stateAsJson, stateGetCommand, type StateGetFlags } from './commands/state.ts';
import { formatResetReport, resetCommand, type ResetFlags } from './commands/reset.ts';
import { formatRebalanceReport, rebalanceCommand, type RebalanceFlags } from './commands/rebalance.ts';
import {
  ReplayRefusedError,
  formatReplayReport,
  replayCommand,
  type ReplayFlags,
} from './commands/replay.ts';
import { formatAppStatus } from './status/group-status.ts';
import { formatTopicReports, topicsCreateCommand, type TopicsCreateFlags } from './commands/topics.ts';
import { topologySpecFrom } from './commands/topology-spec.ts';
import { checkAsJson, formatCheck, verifyCommand, type VerifyFlags } from './commands/verify.ts';
import { evaluateCommand, type EvaluateFlags } from './commands/evaluate.ts';
import { backtestCommand, isUsageError, type BacktestFlags } from './commands/backtest.ts';
import { backtestAsJson, formatBacktest } from './backtest/report.ts';
import { evaluationAsJson, formatEvaluation } from './evaluate/index.ts';
import { streamsConfigFrom } from './env-config.ts';
import { productConfigFrom, type ProductFlags } from './product-config.ts';

const VERSION = '0.1.0';

export function buildCli(): Command {
  const program = new Command('saldo')
    .description("saldo: a bank's balances and fraud signals, in real time")
    .version(VERSION);

  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program.command('describe').description('print a topology: topics, processors, stores, changelogs'),
      ),
    ),
  )
    .option('--json', 'print it as one JSON object')
    .action((flags: RunCommandFlags & { json?: boolean }) => {
      const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
      const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
      console.log(
        flags.json
          ? JSON.stringify(topologyDescriptionOf(topology, config.applicationId))
          : topology.describe(config.applicationId),
      );
    });

  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program
          .command('run')
          .description('run an instance of the product topology (or another) until SIGTERM/SIGINT'),
      ),
    ),
  )
    .option('--create-topics', 'create missing output topics at start (env SALDO_CREATE_TOPICS=true)')
    .option(
      '--application-server <host:port>',
      'answer queries (GET /accounts/{id}/balance, /velocity) on this port, advertised to the group as host:port (env SALDO_APPLICATION_SERVER)',
    )
    .option(
      '--ops-port <port>',
      'GET /metrics, /healthz, /readyz on this port; 0: any free port (env SALDO_OPS_PORT, default 9464; host SALDO_OPS_HOST, default 0.0.0.0)',
    )
    .action(runCommand);

  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program
          .command('status')
          .description(
            'the application seen from Kafka: group state, members and their tasks, input lag per partition, dead letters',
          ),
      ),
    ),
  )
    .option('--json', 'print the status as one JSON object')
    .action(async (flags: StatusFlags) => {
      const status = await statusCommand(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : formatAppStatus(status));
    });

  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program
          .command('reset')
          .description(
            "the application reset: committed offsets, internal topics, this machine's local state (plan first; --yes applies)",
          ),
      ),
    ),
  )
    .option('--yes', 'apply the plan (without it, only the plan is printed)')
    .option('--force', 'go on although the group has active members')
    .option('--delete-dlq', 'also delete the dead-letter topic (kept by default)')
    .option('--json', 'print the plan or what was done as one JSON object')
    .action(async (flags: ResetFlags) => {
      const report = await resetCommand(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatResetReport(report));
      if (!report.applied && report.steps.some((step) => step.status === 'to do')) process.exitCode = 2;
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program
          .command('rebalance')
          .description(
            'the current and planned assignment (active, standby and warm-up tasks); with --yes a rebalance now, or a drain before maintenance',
          ),
      ),
    ),
  )
    .option('--trigger', 'rebalance the group now (with --yes)')
    .option('--drain <instance>', 'move every task off this instance (repeatable; with --yes)', collect)
    .option('--undrain <instance>', 'lift the drain of this instance (repeatable; with --yes)', collect)
    .option('--timeout-ms <ms>', 'how long --drain waits for the instance to hand its tasks over', '120000')
    .option('--yes', 'act (without it, only the current and planned assignment are printed)')
    .option('--json', 'print the report as one JSON object')
    .action(async (flags: RebalanceFlags) => {
      const report = await rebalanceCommand(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatRebalanceReport(report));
      const asked =
        flags.trigger === true || (flags.drain?.length ?? 0) > 0 || (flags.undrain?.length ?? 0) > 0;
      if (asked && report.outcome === 'planned') process.exitCode = 2;
      if (report.outcome === 'drain-timed-out') process.exitCode = 1;
    });

  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        program
          .command('replay')
          .description(
            'reprocess input from a state mark at or before a time or offset, with state put back to that mark (plan first; --yes applies)',
          ),
      ),
    ),
  )
    .option(
      '--from <time>',
      'an ISO time (2026-12-08T10:00:00Z) or epoch ms: input records stamped from then on',
    )
    .option(
      '--from-offset <offsets>',
      'an input offset for every partition, or partition:offset pairs (0:1200,3:950)',
    )
    .option('--partitions <list>', 'only these partitions, comma-separated (default: all)')
    .option('--yes', 'apply the plan (without it, only the plan is printed)')
    .option('--force', 'go on although the group has active members (their tasks are fenced)')
    .option('--json', 'print the plan or what was done as one JSON object')
    .action(async (flags: ReplayFlags) => {
      const report = await replayCommand(flags).catch((error: unknown) => {
        // Refused with --yes: the plan shows why, partition by partition; then the error.
        if (error instanceof ReplayRefusedError && error.report !== undefined) {
          process.stdout.write(
            flags.json ? `${JSON.stringify(error.report)}\n` : formatReplayReport(error.report),
          );
        }
        throw error;
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatReplayReport(report));
      if (report.partitions.some((p) => p.status === 'refused')) process.exitCode = 1;
      else if (!report.applied && report.partitions.some((p) => p.status === 'to do')) process.exitCode = 2;
    });

  const state = program.command('state').description("the application's state, read from its changelogs");
  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        state
          .command('get')
          .argument('<key>', 'the store key: an account id for the product')
          .description('the latest committed value of a key in every key-value store (a table: its input)'),
      ),
    ),
  )
    .option('--partition-key <key>', 'what the input is keyed by, when the store key is another')
    .option('--partition <n>', "the task's partition, for inputs not placed by Kafka's default partitioner")
    .option('--json', 'print the result as one JSON object (amounts as strings)')
    .action(async (key: string, flags: StateGetFlags) => {
      const result = await stateGetCommand(flags, key);
      process.stdout.write(flags.json ? `${stateAsJson(result)}\n` : formatStateGet(result));
    });

  const dlq = program.command('dlq').description("the application's dead letters (<app>-dlq)");
  withEngineOptions(dlq.command('list').description('every dead letter: reason, origin, error'))
    .option('--json', 'print the dead letters as a JSON array')
    .action(async (flags: DlqFlags) => {
      const letters = await dlqListCommand(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(letters)}\n` : formatDeadLetters(letters));
    });
  withEngineOptions(
    dlq
      .command('show')
      .argument('<id>', 'the dead letter, as partition:offset on the dead-letter topic (from dlq list)')
      .description('one dead letter: its origin, error, headers and size'),
  )
    .option('--value', 'also print the value, in hex (it may hold personal data: mind where it goes)')
    .option('--json', 'print it as one JSON object')
    .action(async (id: string, flags: DlqFlags & { value?: boolean }) => {
      const shown = await dlqShowCommand(flags, id);
      process.stdout.write(flags.json ? `${JSON.stringify(shown)}\n` : formatShown(shown));
    });
  withEngineOptions(
    dlq
      .command('replay')
      .description(
        'send dead letters back to their input partition as they were consumed (plan first; --yes sends)',
      ),
  )
    .option('--ids <ids>', 'the dead letters, comma-separated partition:offset ids')
    .option('--all', 'every dead letter on the topic')
    .option('--yes', 'send them (without it, only the plan is printed)')
    .option('--json', 'print the plan and whether it was sent as one JSON object')
    .action(async (flags: DlqReplayFlags) => {
      const plan = await dlqReplayCommand(flags);
      if (flags.json) process.stdout.write(`${JSON.stringify(plan)}\n`);
      else {
        process.stdout.write(formatDeadLetters(plan.letters));
        const count = plan.letters.length;
        process.stdout.write(
          plan.sent
            ? `sent ${count} record(s) back to their input partitions\n`
            : `nothing sent: ${count} record(s) would go back to their input partitions; add --yes\n`,
        );
      }
      if (!plan.sent && plan.letters.length > 0) process.exitCode = 2;
    });

  const topics = program.command('topics').description("the topology's input and output topics");
  withProductOptions(
    withEngineOptions(
      withTopologyOptions(
        topics
          .command('create')
          .description('create the input and output topics that are missing; check those that exist'),
      ),
    ),
  )
    .option('--partitions <n>', 'partitions of every topic (inputs and outputs are co-partitioned)', '8')
    .option('--json', 'print the result as JSON')
    .action(async (flags: TopicsCreateFlags) => {
      const reports = await topicsCreateCommand(flags);
      console.log(flags.json ? JSON.stringify(reports) : formatTopicReports(reports));
      if (reports.some((report) => report.status === 'mismatch')) process.exitCode = 2;
    });

  const schemas = program.command('schemas').description("the product's Avro schemas in the registry");
  withProductOptions(
    schemas.command('register').description('register the value schemas of the product topics (BACKWARD)'),
  )
    .option('--json', 'print the result as JSON')
    .action(async (flags: ProductFlags & { json?: boolean }) => {
      const ids = await schemasRegisterCommand(flags);
      if (flags.json) console.log(JSON.stringify(ids));
      else for (const [subject, id] of Object.entries(ids)) console.log(`${subject}: id ${id}`);
    });

  withProductOptions(
    withEngineOptions(
      program
        .command('verify')
        .description('check every account of an expected-balances file in Redis and on the balances topic'),
    ),
  )
    .requiredOption('--expected <file>', 'the expected balances (saldo generate --expected)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: VerifyFlags) => {
      const check = await verifyCommand(flags);
      console.log(flags.json ? checkAsJson(check) : formatCheck(check));
      if (check.redis.mismatches.length > 0 || check.topic.mismatches.length > 0) process.exitCode = 3;
    });

  program
    .command('evaluate')
    .description(
      'score the fraud alerts on the alerts topic against the labels of a generated run: precision and recall per rule',
    )
    .requiredOption('--labels <file>', 'the ground truth (saldo generate --labels)')
    .option('--topic <name>', 'the alerts topic (env SALDO_ALERTS_TOPIC, default fraud-alerts)')
    .option('--brokers <list>', 'Kafka bootstrap servers (env KAFKA_BROKERS)')
    .option('--registry-url <url>', 'schema registry, Confluent API (env SCHEMA_REGISTRY_URL)')
    .option('--timeout <duration>', 'give up reading the topic after this long (default 60s)')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: EvaluateFlags) => {
      const evaluation = await evaluateCommand(flags);
      console.log(flags.json ? evaluationAsJson(evaluation) : formatEvaluation(evaluation));
    });

  program
    .command('backtest')
    .description(
      "run a candidate fraud rule set over the inputs' history beside the production one, in this process: alerts per rule of both, the candidate's written to a topic of its own",
    )
    .option('--rules <file>', 'the candidate rule set (JSON), checked as saldo run checks it (required)')
    .option(
      '--from <time>',
      'start of the window: ISO-8601 with its zone, a date (UTC) or epoch ms (required)',
    )
    .option('--to <time>', 'end of the window, excluded; processing stops there (required)')
    .option(
      '--warmup <duration>',
      'state built before --from, counting nothing: "all" (default, the whole retained input) or a duration such as 31d',
    )
    .option(
      '--production-rules <file>',
      'the rule set to compare with (env SALDO_RULES, default topologies/fraud/default-rules.json)',
    )
    .option(
      '--output-topic <name>',
      "where the candidate's alerts go, created if missing, must be empty (default <alerts topic>.backtest.<run id>)",
    )
    .option(
      '--state-dir <dir>',
      "where the runs' temporary LevelDB state goes (default: the system's temp dir)",
    )
    .option('--app-id <id>', "names the backtest's Kafka clients <app>-backtest (env SALDO_APPLICATION_ID)")
    .option('--brokers <list>', 'Kafka bootstrap servers (env KAFKA_BROKERS)')
    .option('--registry-url <url>', 'schema registry, Confluent API (env SCHEMA_REGISTRY_URL)')
    .option('--transactions-topic <topic>', 'input (env SALDO_TRANSACTIONS_TOPIC, default transactions)')
    .option('--limits-topic <topic>', 'input table (env SALDO_LIMITS_TOPIC, default account-limits)')
    .option(
      '--alerts-topic <topic>',
      'production alerts, named for the default output (env SALDO_ALERTS_TOPIC)',
    )
    .option('--fraud-grace <duration>', 'as saldo run (env SALDO_FRAUD_GRACE, default 5m)')
    .option('--hold-expiry <duration>', 'as saldo run (env SALDO_HOLD_EXPIRY, default 7d)')
    .option('--dedup-retention <duration>', 'as saldo run (env SALDO_DEDUP_RETENTION, default 30d)')
    .option('--max-event-time-ahead <duration>', 'as saldo run (env SALDO_MAX_EVENT_TIME_AHEAD, default 1d)')
    .option('--json', 'print the report as one JSON object')
    .addHelpText(
      'after',
      `
Both rule sets run the product topology from empty state over the same input, read once
(read_committed): the account-limits table, then the transactions whose event time is in
[warm-up start, --to), in the order a running task takes them. Alerts are counted, and the
candidate's written, only when the transaction that raised them is in [--from, --to): the warm-up
builds velocity windows (30 days), balances, activity and dormancy, and counts nothing. Balances,
dormancy (90 days) and first payments to a category reach back further than any window, so a
shorter --warmup changes what some rules see (overdraft, dormant-reactivation, high-risk-mcc) in
both runs alike.

Nothing of the running application is touched: no consumer group, offsets, changelogs,
transactions, Redis or production topic. Exit codes: 0 done, 2 bad options, rule file or output
topic, 1 anything else.`,
    )
    .action(async (flags: BacktestFlags) => {
      try {
        const report = await backtestCommand(flags, process.env, { progress: process.stderr });
        process.stdout.write(flags.json ? `${backtestAsJson(report)}\n` : formatBacktest(report));
      } catch (error) {
        if (!isUsageError(error)) throw error;
        console.error(`saldo: ${(error as Error).message}`);
        process.exitCode = 2;
      }
    });

  program
    .command('generate')
    .description(
      'produce realistic, deterministic transactions through the registry, and their expected balances',
    )
    .option('--accounts <n>', 'accounts that transact (default 1000)')
    .option('--count <n>', 'records to produce, duplicates included (default 10000 without --duration)')
    .option('--duration <time>', 'produce for this long (30s, 5m, 2h)')
    .option('--rate <tx/s>', 'records per second (default: as fast as Kafka takes them)')
    .option('--seed <n>', 'the same seed gives the same records (default 1)')
    .option('--topic <name>', 'where to produce (env SALDO_TRANSACTIONS_TOPIC, default transactions)')
    .option('--expected <file>', 'write the expected final balance of every account here (JSON Lines)')
    .option(
      '--start-time <iso|ms>',
      'event time of the first live record (default: now − the event span, so the run ends now)',
    )
    .option(
      '--event-span <duration>',
      'event time the live records spread over, with a daily rhythm (default ~3h per record and account, 1h–6d); "emission": record n at start + n/rate',
    )
    .option('--history-days <n>', 'days of each account’s history sent first (default 120; 0: none)')
    .option('--fraud-rate <share>', 'share of stories that are fraud incidents (default 0.01; 0: none)')
    .option('--patterns <list>', 'fraud patterns to inject, rule ids comma-separated (default: all ten)')
    .option(
      '--labels <file>',
      'write the ground truth of the fraud rules here (JSON Lines, one incident per line)',
    )
    .option(
      '--limits-topic <name>',
      'where the accounts’ limits are published first (env SALDO_LIMITS_TOPIC, default account-limits)',
    )
    .option('--no-limits', 'publish no limit records')
    .option('--batch-size <n>', 'records per produce request (default 500)')
    .option('--brokers <list>', 'Kafka bootstrap servers (env KAFKA_BROKERS)')
    .option('--registry-url <url>', 'schema registry, Confluent API (env SCHEMA_REGISTRY_URL)')
    .option('--dry-run', 'produce nothing; only write --expected')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: GenerateFlags) => {
      await generateCommandAction(flags);
    });

  return program;
}

buildCli()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error instanceof Error ? `saldo: ${error.message}` : error);
    process.exit(1);
  });

function formatShown(shown: { letter: DeadLetter; headers: string[]; valueHex?: string }): string {
  const { letter } = shown;
  const lines = [
    formatDeadLetters([letter]).trimEnd(),
    `task ${letter.task}, app version ${letter.appVersion}, key ${letter.key ?? '(none)'}, value ${letter.valueBytes} bytes`,
    `headers: ${shown.headers.join(', ')}`,
  ];
  if (shown.valueHex !== undefined) lines.push(`value: ${shown.valueHex}`);
  return `${lines.join('\n')}\n`;
}
