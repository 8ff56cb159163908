import { ConfigError } from '../../processor/index.ts';
import type { TopologySpec } from '../../topologies/index.ts';
import { productSettingsOf, type ProductConfig } from '../product-config.ts';

export interface TopologyFlags {
  topology: string;
  input: string;
  output: string;
}

/** The topology a command works on, as plain data (stream threads rebuild it from this). */
export function topologySpecFrom(flags: TopologyFlags, product: () => ProductConfig): TopologySpec {
  if (flags.topology === 'counting') return { name: 'counting', input: flags.input, output: flags.output };
  if (flags.topology !== 'product') {
    throw new ConfigError(`unknown topology '${flags.topology}' (known: product, counting)`);
  }
  const config = product();
  return {
    name: 'product',
    topics: config.topics,
    settings: productSettingsOf(config),
    schemaRegistryUrl: config.schemaRegistryUrl,
    ...(config.registrySecurity === undefined ? {} : { schemaRegistrySecurity: config.registrySecurity }),
  };
}
