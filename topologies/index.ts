import { ConfigError, type Topology } from '../processor/index.ts';
import { countingTopology } from './counting.ts';

/** The topologies that `saldo run` and stream threads can build from a name and its topics. */
export const TOPOLOGY_NAMES = ['counting'] as const;

export interface NamedTopology {
  name: string;
  input: string;
  output: string;
}

/**
 * Builds a topology by name. Stream threads each build their topology from this function's module
 * and these plain arguments, since a worker cannot be handed a topology object.
 */
export function topologyByName(spec: NamedTopology): Topology {
  switch (spec.name) {
    case 'counting':
      return countingTopology({ input: spec.input, output: spec.output });
    default:
      throw new ConfigError(`unknown topology '${spec.name}' (known: ${TOPOLOGY_NAMES.join(', ')})`);
  }
}
