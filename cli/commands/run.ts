import {
  EngineMetrics,
  StreamThreadsApp,
  StreamsApp,
  type StreamsConfig,
  type StreamsConfigInput,
  describeError,
  siblingModuleUrl,
  validateStreamsConfig,
  type Logger,
  type PostCommitHookSource,
} from '../../processor/index.ts';
import { ConfluentAvroRegistry, registerProductSchemas } from '../../schemas/index.ts';
import { PRODUCT_SINK, PRODUCT_STATE_CACHE_BYTES_PER_TASK } from '../../topologies/product.ts';
import {
  redisBalanceCacheHook,
  type RedisBalanceCacheOptions,
} from '../../topologies/balances/redis-balance-cache.ts';
import { checkRedisAccess } from '../../topologies/balances/redis-connection.ts';
import { topologyByName, type TopologySpec } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { startQueries, type RunningQueries } from '../queries.ts';
import { opsConfigFrom, type OpsFlags } from '../ops-config.ts';
import { instanceMetrics, startOps, type RunningOps } from '../ops.ts';
import { productConfigFrom, type ProductConfig, type ProductFlags } from '../product-config.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export type RunCommandFlags = RunFlags & ProductFlags & TopologyFlags & OpsFlags;

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
  const metrics = new EngineMetrics({ app: config.applicationId, instance_id: config.instanceId });
  return new StreamsApp(topologyByName(spec, { metrics: metrics.registry }), config, {
    onFailed,
    metrics,
  });
}

/**
 * The engine settings of `saldo run` from the environment and flags, with the product's own default
 * where it differs from the engine's (its read cache: none unless configured).
 */
export function runStreamsConfigFrom(env: NodeJS.ProcessEnv, flags: RunCommandFlags): StreamsConfigInput {
  const engine = streamsConfigFrom(env, flags);
  if (flags.topology === 'product') engine.stateCacheMaxBytesPerTask ??= PRODUCT_STATE_CACHE_BYTES_PER_TASK;
  return engine;
}

/**
 * `saldo run`: one instance of a topology until SIGTERM/SIGINT. The product registers its schemas
 * first (the ids the registry gives are the ones used) and keeps the Redis serving cache.
 */
export async function runCommand(flags: RunCommandFlags): Promise<void> {
  const engine = runStreamsConfigFrom(process.env, flags);
  const product = flags.topology === 'product' ? productConfigFrom(process.env, flags) : undefined;
  const spec = topologySpecFrom(flags, () => product as NonNullable<typeof product>);
  const config = validateStreamsConfig(engine);
  const opsConfig = opsConfigFrom(process.env, flags);
  // A failed instance stops answering queries too, so that nothing keeps the process alive; its
  // ops server answers /healthz 503 until the process exits.
  let queries: RunningQueries | undefined;
  let failedForGood = false;
  const onFailed = (error: unknown) => {
    failedForGood = true;
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
          instanceId: config.instanceId,
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
  const metrics = instanceMetrics(app, config);
  // First the ops server, so that probes are answered from the start (schemas, restores).
  const ops: RunningOps = await startOps({
    ops: opsConfig,
    app,
    metrics,
    failed: () => failedForGood,
    logger: app.logger,
  });
  try {
    if (product !== undefined) await checkAccessAndRegisterSchemas(product, app.logger);
    // After the checks: the cache's client connects at once, and would retry wrong credentials.
    if (app instanceof StreamsApp && cache !== undefined)
      app.onCommitted(redisBalanceCacheHook(cache, { metrics: app.metrics.registry }));
    app.installSignalHandlers();
    const { applicationServer } = config;
    if (applicationServer !== undefined) {
      // GET /metrics there too: `saldo status` reads an instance's restores from its query endpoint.
      queries = await startQueries({
        config: { ...config, applicationServer },
        spec,
        target: app,
        logger: app.logger,
        metrics,
      });
    }
    await app.start();
  } catch (error) {
    await queries?.stop().catch(() => undefined);
    await ops.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * The product registers its four schemas (the ids the registry gives are the ones used), checks
 * Redis and logs its rule set. Wrong credentials or CAs stop the start here, each with one message
 * (docs/security.md): the registry's at its first request, Redis' at a check, Kafka's at the app's
 * first connection.
 */
async function checkAccessAndRegisterSchemas(product: ProductConfig, logger: Logger): Promise<void> {
  const ids = await registerProductSchemas(
    ConfluentAvroRegistry.connect(product.schemaRegistryUrl, product.registrySecurity),
    product.topics,
  );
  const redisDown = await checkRedisAccess(product.redisUrl, product.redisSecurity);
  if (redisDown !== undefined) {
    logger.warn(
      { error: describeError(redisDown) },
      'Redis does not answer yet; the balance cache catches up once it does',
    );
  }
  logger.info(
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
  logger.info(
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
