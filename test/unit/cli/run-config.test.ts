import { describe, expect, it } from 'vitest';
import { runStreamsConfigFrom } from '../../../cli/commands/run.ts';
import { validateStreamsConfig } from '../../../processor/index.ts';
import { PRODUCT_STATE_CACHE_BYTES_PER_TASK } from '../../../topologies/product.ts';

describe('saldo run: engine settings', () => {
  const base = { appId: 'run-config', input: 'transactions', output: 'account-totals' };

  it('gives the product no read cache unless one is configured', () => {
    const config = validateStreamsConfig(runStreamsConfigFrom({}, { ...base, topology: 'product' }));
    expect(config.stateCacheMaxBytesPerTask).toBe(PRODUCT_STATE_CACHE_BYTES_PER_TASK);
    expect(PRODUCT_STATE_CACHE_BYTES_PER_TASK).toBe(0);
  });

  it('keeps the configured cache for the product, and the engine default for the counting topology', () => {
    const configured = runStreamsConfigFrom(
      { SALDO_STATE_CACHE_MAX_BYTES_PER_TASK: '4194304' },
      { ...base, topology: 'product' },
    );
    expect(validateStreamsConfig(configured).stateCacheMaxBytesPerTask).toBe(4_194_304);
    const counting = validateStreamsConfig(runStreamsConfigFrom({}, { ...base, topology: 'counting' }));
    expect(counting.stateCacheMaxBytesPerTask).toBeGreaterThan(0);
  });
});
