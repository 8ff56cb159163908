import { ConfigError, type Topology } from '../processor/index.ts';
import { ConfluentAvroRegistry, productSerdes, type RegistrySecurity } from '../schemas/index.ts';
import type { Registry } from 'prom-client';
import { countingTopology } from './counting.ts';
import { fraudMetricsOn } from './fraud/fraud-metrics.ts';
import { productTopology, type ProductSettings, type ProductTopics } from './product.ts';

/** The topologies that `saldo run` and stream threads can build from a name and plain arguments. */
export const TOPOLOGY_NAMES = ['product', 'counting'] as const;

/**
 * Which topology to build, in plain data: stream threads each build their topology from this
 * module (a worker cannot be handed a topology object or a registry client).
 */
export type TopologySpec =
  | { name: 'counting'; input: string; output: string }
  | {
      name: 'product';
      topics: ProductTopics;
      settings: ProductSettings;
      schemaRegistryUrl: string;
      /** Basic-auth credentials and CA of the registry (a secret: never log the spec). */
      schemaRegistrySecurity?: RegistrySecurity;
    };

/**
 * Builds a topology by name (the product's serdes get a registry client of their own). With the
 * app's metrics registry, the product's fraud processor counts late records and alerts on it.
 */
export function topologyByName(
  spec: TopologySpec | { name: string },
  context?: { metrics?: Registry },
): Topology {
  switch (spec.name) {
    case 'counting': {
      const { input, output } = spec as Extract<TopologySpec, { name: 'counting' }>;
      return countingTopology({ input, output });
    }
    case 'product': {
      const { topics, settings, schemaRegistryUrl, schemaRegistrySecurity } = spec as Extract<
        TopologySpec,
        { name: 'product' }
      >;
      return productTopology({
        topics,
        settings,
        serdes: productSerdes(ConfluentAvroRegistry.connect(schemaRegistryUrl, schemaRegistrySecurity)),
        ...(context?.metrics === undefined ? {} : { fraudObserver: fraudMetricsOn(context.metrics) }),
      });
    }
    default:
      throw new ConfigError(`unknown topology '${spec.name}' (known: ${TOPOLOGY_NAMES.join(', ')})`);
  }
}
