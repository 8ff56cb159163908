/**
 * INTERIM — to be replaced by the assignor's routing (issue 15, item 1). Until the assignor puts
 * each member's applicationServer in its subscription and hands the routing out with the
 * assignment (where StreamsApp.onRouting is then called from), this builds a QueryRouting from
 * the group as the coordinator describes it: each member's partitions and client id. The
 * description carries no endpoint, so a list of peers maps instance ids to endpoints
 * (SALDO_INTERIM_QUERY_PEERS). Delete this file, its wiring in cli/commands/run.ts and the
 * variable in cli/env-config.ts once the assignor sends routing.
 */
import { ConfigError, describeError } from '../errors.ts';
import type { AdminClient, GroupDescription } from '../kafka/client.ts';
import type { Logger } from '../log.ts';
import { endpointProblem } from './endpoint.ts';
import type { QueryRouting } from './routing.ts';

/** "a=host:port,b=host:port": instance id → endpoint; validated, every problem at once. */
export function parseInterimPeers(text: string): Map<string, string> {
  const peers = new Map<string, string>();
  const problems: string[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const at = entry.indexOf('=');
    const id = entry.slice(0, at).trim();
    const endpoint = entry.slice(at + 1).trim();
    const problem = at <= 0 ? `'${entry}' is not <instance-id>=<host:port>` : endpointProblem(endpoint);
    if (problem !== undefined) problems.push(problem);
    else peers.set(id, endpoint);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid SALDO_INTERIM_QUERY_PEERS:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return peers;
}

/**
 * The instance id of a member, by its client id: `<appId>-<instanceId>`, with `-<thread>` when the
 * instance runs stream threads. An exact match wins over a thread's.
 */
function instanceOf(
  clientId: string,
  applicationId: string,
  peers: ReadonlyMap<string, string>,
): string | undefined {
  const prefix = `${applicationId}-`;
  if (!clientId.startsWith(prefix)) return undefined;
  const rest = clientId.slice(prefix.length);
  if (peers.has(rest)) return rest;
  const thread = /^(.+)-\d+$/.exec(rest);
  return thread !== null && peers.has(thread[1] as string) ? thread[1] : undefined;
}

/**
 * Partition → endpoint from a Stable group's description; undefined while it rebalances (members
 * then have no assignment). A member whose instance is not among the peers is left out: queries
 * for its partitions answer 503 owner-unknown.
 */
export function endpointsOfGroup(
  group: GroupDescription,
  applicationId: string,
  peers: ReadonlyMap<string, string>,
): Map<number, string> | undefined {
  if (group.state !== 'Stable') return undefined;
  const endpoints = new Map<number, string>();
  for (const member of group.members) {
    const instance = instanceOf(member.clientId, applicationId, peers);
    if (instance === undefined) continue;
    const endpoint = peers.get(instance) as string;
    for (const partitions of Object.values(member.assignment)) {
      for (const p of partitions) endpoints.set(p, endpoint);
    }
  }
  return endpoints;
}

function sameEndpoints(a: ReadonlyMap<number, string>, b: ReadonlyMap<number, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [p, endpoint] of a) if (b.get(p) !== endpoint) return false;
  return true;
}

export interface InterimGroupRoutingOptions {
  applicationId: string;
  admin: AdminClient;
  peers: ReadonlyMap<string, string>;
  onRouting: (routing: QueryRouting) => void;
  logger: Logger;
  intervalMs: number;
}

/** Describes the group every `intervalMs` and hands a changed routing to `onRouting`. */
export class InterimGroupRouting {
  readonly #options: InterimGroupRoutingOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: QueryRouting | undefined;
  #refreshing = false;
  #warned = false;

  constructor(options: InterimGroupRoutingOptions) {
    this.#options = options;
  }

  start(): void {
    this.#options.logger.warn(
      { peers: Object.fromEntries(this.#options.peers) },
      'query routing from the group description and SALDO_INTERIM_QUERY_PEERS (interim, until the assignor sends routing)',
    );
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      const { admin, applicationId, peers } = this.#options;
      const endpoints = endpointsOfGroup(await admin.describeGroup(applicationId), applicationId, peers);
      this.#warned = false;
      if (endpoints === undefined) return;
      if (this.#current !== undefined && sameEndpoints(this.#current.activeEndpoints, endpoints)) return;
      this.#current = { generation: (this.#current?.generation ?? 0) + 1, activeEndpoints: endpoints };
      this.#options.logger.info(
        { generation: this.#current.generation, endpoints: Object.fromEntries(endpoints) },
        'query routing updated',
      );
      this.#options.onRouting(this.#current);
    } catch (error) {
      if (!this.#warned)
        this.#options.logger.warn(
          { error: describeError(error) },
          'cannot describe the group for query routing',
        );
      this.#warned = true;
    } finally {
      this.#refreshing = false;
    }
  }
}
