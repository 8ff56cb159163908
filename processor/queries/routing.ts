/**
 * Where the active task of each partition runs, as the group's assignment says: which instance
 * answers a query for a key (Kafka Streams' StreamsMetadata / partitionsByHost).
 */
export interface QueryRouting {
  /** The group generation this routing comes from: a later one replaces an earlier one. */
  generation: number;
  /** Partition → "host:port" (applicationServer) of the instance that runs its active task. */
  activeEndpoints: ReadonlyMap<number, string>;
}

/**
 * What to do with a query for a key of `partition`:
 * - `local`: read this instance's state (which may still say restoring, or not mine);
 * - `forward`: ask the owner, once;
 * - `owner-unknown`: the routing names no owner (a rebalance is under way): retry later.
 */
export type RouteDecision =
  | { readonly kind: 'local' }
  | { readonly kind: 'forward'; readonly endpoint: string }
  | { readonly kind: 'owner-unknown' };

const LOCAL: RouteDecision = Object.freeze({ kind: 'local' });
const OWNER_UNKNOWN: RouteDecision = Object.freeze({ kind: 'owner-unknown' });

/**
 * Decides where a query goes. A forwarded query is always answered where it arrived (the sender
 * thought this instance the owner; sending it on could loop while routings disagree). Without a
 * routing yet (one instance, or none received), every partition counts as local.
 */
export function decideRoute(query: {
  partition: number;
  routing: QueryRouting | undefined;
  self: string;
  forwarded: boolean;
}): RouteDecision {
  if (query.forwarded || query.routing === undefined) return LOCAL;
  const owner = query.routing.activeEndpoints.get(query.partition);
  if (owner === undefined) return OWNER_UNKNOWN;
  return owner === query.self ? LOCAL : { kind: 'forward', endpoint: owner };
}

/**
 * The latest routing of an instance, from whichever of its stream threads reports one: each thread
 * is a member of the group and learns the same routing at each generation; an older generation
 * that arrives late never replaces a newer one.
 */
export class RoutingTable {
  #current: QueryRouting | undefined;

  get current(): QueryRouting | undefined {
    return this.#current;
  }

  /** Takes `routing` unless the table holds a later generation; true when taken. */
  update(routing: QueryRouting): boolean {
    if (this.#current !== undefined && routing.generation < this.#current.generation) return false;
    this.#current = routing;
    return true;
  }
}

/** A generation's routing from its assignment's query endpoints (partition numbers as JSON keys). */
export function routingOf(generation: number, endpoints: Readonly<Record<string, string>>): QueryRouting {
  return {
    generation,
    activeEndpoints: new Map(
      Object.entries(endpoints).map(([partition, endpoint]) => [Number(partition), endpoint]),
    ),
  };
}
