import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../processor/index.ts';
import { DEFAULT_OPS_PORT, opsConfigFrom } from '../../../cli/ops-config.ts';

describe('the ops server settings', () => {
  it('default to 0.0.0.0:9464, take SALDO_OPS_PORT and SALDO_OPS_HOST, and --ops-port over the env', () => {
    expect(opsConfigFrom({}, {})).toEqual({ host: '0.0.0.0', port: DEFAULT_OPS_PORT });
    expect(DEFAULT_OPS_PORT).toBe(9464);
    expect(opsConfigFrom({ SALDO_OPS_PORT: '9100', SALDO_OPS_HOST: '127.0.0.1' }, {})).toEqual({
      host: '127.0.0.1',
      port: 9100,
    });
    expect(opsConfigFrom({ SALDO_OPS_PORT: '9100' }, { opsPort: '0' }).port).toBe(0);
  });

  it('refuse a port that is not an integer from 0 to 65535, naming the flag and variable', () => {
    for (const bad of ['http', '-1', '65536', '80.5']) {
      expect(() => opsConfigFrom({ SALDO_OPS_PORT: bad }, {})).toThrow(ConfigError);
      expect(() => opsConfigFrom({}, { opsPort: bad })).toThrow(/--ops-port, SALDO_OPS_PORT/);
    }
  });
});
