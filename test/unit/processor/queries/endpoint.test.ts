import { describe, expect, it } from 'vitest';
import { streamsConfigFrom } from '../../../../cli/env-config.ts';
import { validateStreamsConfig } from '../../../../processor/config.ts';
import { endpointProblem, parseEndpoint } from '../../../../processor/queries/index.ts';

const base = { applicationId: 'balances', brokers: ['h:1'], stateDir: '/s' };

describe('the application server', () => {
  it('is host:port with a host name, an IPv4 address or a bracketed IPv6 address', () => {
    for (const good of ['saldo-0.saldo.bank.svc:8080', '10.1.2.3:80', '[::1]:9000', 'localhost:65535']) {
      expect(endpointProblem(good)).toBeUndefined();
    }
    expect(parseEndpoint('[::1]:9000')).toEqual({ host: '[::1]', port: 9000 });
    expect(parseEndpoint('saldo-0:8080')).toEqual({ host: 'saldo-0', port: 8080 });
  });

  it('refuses what the other instances could not reach, saying why', () => {
    expect(endpointProblem('saldo-0')).toMatch(/not host:port/);
    expect(endpointProblem(':8080')).toMatch(/not host:port/);
    expect(endpointProblem('saldo-0:0')).toMatch(/port must be a number from 1 to 65535/);
    expect(endpointProblem('saldo-0:70000')).toMatch(/port/);
    expect(endpointProblem('saldo-0:http')).toMatch(/port/);
    expect(endpointProblem('0.0.0.0:8080')).toMatch(/every interface/);
    expect(endpointProblem('[::]:8080')).toMatch(/every interface/);
    expect(endpointProblem('::1:8080')).toMatch(/IPv6 address in brackets/);
    expect(endpointProblem('bad_host:8080')).toMatch(/not a host name/);
  });

  it('is validated once at start-up with the other settings, from --application-server or SALDO_APPLICATION_SERVER', () => {
    expect(validateStreamsConfig(base).applicationServer).toBeUndefined();
    expect(
      validateStreamsConfig(streamsConfigFrom({ SALDO_APPLICATION_SERVER: 'pod-1:8080' }, {}))
        .applicationServer,
    ).toBe('pod-1:8080');
    expect(
      validateStreamsConfig(
        streamsConfigFrom({ SALDO_APPLICATION_SERVER: 'pod-1:8080' }, { applicationServer: 'pod-2:9090' }),
      ).applicationServer,
    ).toBe('pod-2:9090');
    let message = '';
    try {
      validateStreamsConfig({ ...base, applicationServer: '0.0.0.0:8080', commitIntervalMs: 0 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/applicationServer: '0\.0\.0\.0:8080': 0\.0\.0\.0 is every interface/);
    expect(message).toMatch(/commitIntervalMs/);
  });
});
