import { describe, expect, it } from 'vitest';
import { ConfigError, createLogger } from '../../../../processor/index.ts';
import type { AdminClient, GroupDescription } from '../../../../processor/kafka/client.ts';
import {
  InterimGroupRouting,
  endpointsOfGroup,
  parseInterimPeers,
  type QueryRouting,
} from '../../../../processor/queries/index.ts';

const member = (clientId: string, partitions: number[]) => ({
  memberId: `${clientId}-m`,
  clientId,
  host: '/127.0.0.1',
  assignment: { 'bank-transactions': partitions, 'bank-account-limits': partitions },
});

const peers = parseInterimPeers('a=127.0.0.1:8081, b=127.0.0.1:8082');

describe('the interim routing from the group’s description', () => {
  it('reads its peers as <instance-id>=<host:port>, refusing every bad entry at once', () => {
    expect([...peers]).toEqual([
      ['a', '127.0.0.1:8081'],
      ['b', '127.0.0.1:8082'],
    ]);
    expect(() => parseInterimPeers('a=127.0.0.1:8081,b,c=0.0.0.0:1')).toThrow(ConfigError);
    expect(() => parseInterimPeers('a=127.0.0.1:8081,b,c=0.0.0.0:1')).toThrow(
      /'b' is not[\s\S]*every interface/,
    );
  });

  it('maps each member’s partitions to its instance’s endpoint, stream threads included', () => {
    const group: GroupDescription = {
      groupId: 'bank',
      state: 'Stable',
      members: [member('bank-a', [0, 1]), member('bank-b-0', [2]), member('bank-b-1', [3])],
    };
    expect(endpointsOfGroup(group, 'bank', peers)).toEqual(
      new Map([
        [0, '127.0.0.1:8081'],
        [1, '127.0.0.1:8081'],
        [2, '127.0.0.1:8082'],
        [3, '127.0.0.1:8082'],
      ]),
    );
  });

  it('has nothing while the group rebalances, and leaves out members of instances it does not know', () => {
    const rebalancing: GroupDescription = { groupId: 'bank', state: 'PreparingRebalance', members: [] };
    expect(endpointsOfGroup(rebalancing, 'bank', peers)).toBeUndefined();
    const stranger: GroupDescription = {
      groupId: 'bank',
      state: 'Stable',
      members: [member('bank-a', [0]), member('bank-zed', [1]), member('other-a', [2])],
    };
    expect(endpointsOfGroup(stranger, 'bank', peers)).toEqual(new Map([[0, '127.0.0.1:8081']]));
  });

  it('hands on a routing only when it changes, with a later generation each time', async () => {
    let group: GroupDescription = { groupId: 'bank', state: 'Stable', members: [member('bank-a', [0, 1])] };
    const admin = { describeGroup: async () => group } as unknown as AdminClient;
    const seen: QueryRouting[] = [];
    const routing = new InterimGroupRouting({
      applicationId: 'bank',
      admin,
      peers,
      onRouting: (r) => seen.push(r),
      logger: createLogger({ level: 'silent' }),
      intervalMs: 60_000,
    });
    await routing.refresh();
    await routing.refresh();
    group = { groupId: 'bank', state: 'CompletingRebalance', members: [] };
    await routing.refresh();
    group = { groupId: 'bank', state: 'Stable', members: [member('bank-a', [0]), member('bank-b', [1])] };
    await routing.refresh();
    expect(seen.map((r) => [r.generation, Object.fromEntries(r.activeEndpoints)])).toEqual([
      [1, { 0: '127.0.0.1:8081', 1: '127.0.0.1:8081' }],
      [2, { 0: '127.0.0.1:8081', 1: '127.0.0.1:8082' }],
    ]);
  });
});
