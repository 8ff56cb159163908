#!/usr/bin/env node
import { Command } from 'commander';
import { StreamThreadsApp, StreamsApp, siblingModuleUrl, validateStreamsConfig } from '../processor/index.ts';
import { topologyByName, type NamedTopology } from '../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from './env-config.ts';

const VERSION = '0.1.0';

interface TopologyFlags {
  topology: string;
  input: string;
  output: string;
}

function namedTopology(flags: TopologyFlags): NamedTopology {
  return { name: flags.topology, input: flags.input, output: flags.output };
}

function withTopologyOptions(command: Command): Command {
  return command
    .option('--topology <name>', 'which topology to run', 'counting')
    .option('--input <topic>', 'input topic of the topology', 'transactions')
    .option('--output <topic>', 'output topic of the topology', 'account-totals');
}

function withRunOptions(command: Command): Command {
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

export function buildCli(): Command {
  const program = new Command('saldo')
    .description("saldo: a bank's balances and fraud signals, in real time")
    .version(VERSION);

  withRunOptions(
    withTopologyOptions(
      program.command('describe').description('print a topology: topics, processors, stores, changelogs'),
    ),
  ).action((flags: TopologyFlags & RunFlags) => {
    const config = streamsConfigFrom(process.env, flags);
    console.log(topologyByName(namedTopology(flags)).describe(config.applicationId));
  });

  withRunOptions(
    withTopologyOptions(
      program.command('run').description('run an instance of a topology until SIGTERM/SIGINT'),
    ),
  ).action(async (flags: TopologyFlags & RunFlags) => {
    const config = streamsConfigFrom(process.env, flags);
    // Several stream threads build the topology in each thread, from topologies/index.ts.
    const app =
      validateStreamsConfig(config).streamThreads > 1
        ? new StreamThreadsApp(
            {
              module: siblingModuleUrl('../topologies/index.ts', import.meta.url).href,
              exportName: 'topologyByName',
              args: namedTopology(flags),
            },
            config,
          )
        : new StreamsApp(topologyByName(namedTopology(flags)), config);
    app.installSignalHandlers();
    await app.start();
  });

  return program;
}

buildCli()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error instanceof Error ? `saldo: ${error.message}` : error);
    process.exit(1);
  });
