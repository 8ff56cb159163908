import { describe, expect, it } from 'vitest';
import { decodeCommitMetadata, encodeCommitMetadata } from '../../../processor/commit-metadata.ts';

describe('commit metadata (the stream time committed with input offsets)', () => {
  it('round-trips stream times, including none yet (-1)', () => {
    for (const streamTime of [-1, 0, 1_763_900_000_123, 9_999_999_999_999]) {
      const text = encodeCommitMetadata({ streamTime });
      expect(text.length).toBeLessThan(40);
      expect(decodeCommitMetadata(text)).toEqual({ streamTime });
    }
  });

  it('ignores metadata that is absent, someone else’s, or of another version', () => {
    for (const text of [
      null,
      undefined,
      '',
      'x',
      'saldo:2:123',
      'saldo:1:',
      'saldo:1:12a',
      'saldo:1:-5',
      'saldo:1:1e9',
    ]) {
      expect(decodeCommitMetadata(text)).toBeUndefined();
    }
  });
});
