import {
  EngineMetrics,
  StreamThreadsApp,
  StreamsApp,
  type StreamsConfig,
  describeError,
  siblingModuleUrl,
  validateStreamsConfig,
  type PostCommitHookSource,
} from '../../processor/index.ts';
import { ConfluentAvroRegistry, registerProductSchemas } from '../../schemas/index.ts';
import { PRODUCT_SINK } from '../../topologies/product.ts';
import {
  redisBalanceCacheHook,
  type RedisBalanceCacheOptions,
} from '../../topologies/balances/redis-balance-cache.ts';
import { checkRedisAccess } from '../../topologies/balances/redis-connection.ts';
import { topologyByName, type TopologySpec } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { startQueries, type RunningQueries } from '../queries.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export type RunCommandFlags = RunFlags & ProductFlags & TopologyFlags;

/** The instance cannot go on (or cannot start): one line on stderr, and exit code 1. */
function failed(error: unknown): void {
  console.error(`saldo: ${describeError(error).message}`);
  process.exitCode = 1;
}

/** One StreamsApp whose metrics registry the topology also counts on (late records, alerts). */
function singleThreadApp(
  spec: TopologySpec,
  config: StreamsConfig,
  onFailed: (error: unknown) => void,
): StreamsApp {
  const metrics = new EngineMetrics({ app: config.applicationId });
  return new StreamsApp(topologyByName(spec, { metrics: metrics.registry }), config, {
    onFailed,
    metrics,
  });
}

/**
 * `saldo run`: one instance of a topology until SIGTERM/SIGINT. The product registers its schemas
 * first (the ids the registry gives are the ones used) and keeps the Redis serving cache.
 */
export async function runCommand(flags: RunCommandFlags): Promise<void> {
  const engine = streamsConfigFrom(process.env, flags);
  const product = flags.topology === 'product' ? productConfigFrom(process.env, flags) : undefined;
  const spec = topologySpecFrom(flags, () => product as NonNullable<typeof product>);
  const config = validateStreamsConfig(engine);
  // A failed instance stops answering queries too, so that nothing keeps the process alive.
  let queries: RunningQueries | undefined;
  const onFailed = (error: unknown) => {
    failed(error);
    void queries?.stop().catch(() => undefined);
  };

  const cache: RedisBalanceCacheOptions | undefined =
    product === undefined
      ? undefined
      : {
          redisUrl: product.redisUrl,
          ...(product.redisSecurity === undefined ? {} : { redisSecurity: product.redisSecurity }),
          keyPrefix: product.redisKeyPrefix,
          applicationId: config.applicationId,
          sink: PRODUCT_SINK,
          logLevel: config.logLevel,
        };
  // Several stream threads build the topology and the hooks in each thread, from these modules.
  const app =
    config.streamThreads > 1
      ? new StreamThreadsApp(
          {
            module: siblingModuleUrl('../../topologies/index.ts', import.meta.url).href,
            exportName: 'topologyByName',
            args: spec,
          },
          config,
          {
            onFailed,
            postCommitHooks:
              cache === undefined
                ? []
                : [
                    {
                      module: siblingModuleUrl(
                        '../../topologies/balances/redis-balance-cache.ts',
                        import.meta.url,
                      ).href,
                      exportName: 'redisBalanceCacheHook',
                      args: cache,
                    } satisfies PostCommitHookSource,
                  ],
          },
        )
      : singleThreadApp(spec, config, onFailed);

  if (product !== undefined) {
    // Wrong credentials or CAs stop the start here, each with one message (docs/security.md):
    // the registry's at its first request, Redis' at a check, Kafka's at the app's first connection.
    const ids = await registerProductSchemas(
      ConfluentAvroRegistry.connect(product.schemaRegistryUrl, product.registrySecurity),
      product.topics,
    );
    const redisDown = await checkRedisAccess(product.redisUrl, product.redisSecurity);
    if (redisDown !== undefined) {
      app.logger.warn(
        { error: describeError(redisDown) },
        'Redis does not answer yet; the balance cache catches up once it does',
      );
    }
    app.logger.info(
      {
        subjects: {
          [`${product.topics.transactions}-value`]: ids.transaction,
          [`${product.topics.balances}-value`]: ids.snapshot,
          [`${product.topics.accountLimits}-value`]: ids.limitUpdate,
          [`${product.topics.fraudAlerts}-value`]: ids.alert,
        },
      },
      'schemas registered',
    );
    app.logger.info(
      {
        rulesFile: product.rulesFile,
        ruleSetVersion: product.ruleSet.version,
        rules: product.ruleSet.rules.map(
          (rule) => `${rule.id}@${rule.version}${rule.enabled ? '' : ' (disabled)'}`,
        ),
      },
      'rule set loaded',
    );
  }
  // After the checks: the cache's client connects at once, and would retry wrong credentials.
  if (app instanceof StreamsApp && cache !== undefined) app.onCommitted(redisBalanceCacheHook(cache));
  app.installSignalHandlers();
  const { applicationServer } = config;
  if (applicationServer !== undefined) {
    queries = await startQueries({
      config: { ...config, applicationServer },
      spec,
      target: app,
      logger: app.logger,
      // Every thread's engine metrics, summed (StreamThreadsApp), or the one app's registry.
      metrics: async () => (app instanceof StreamsApp ? app.metrics.registry : await app.metrics()).metrics(),
    });
  }
  try {
    await app.start();
  } catch (error) {
    await queries?.stop().catch(() => undefined);
    throw error;
  }
}
