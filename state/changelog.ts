import { StoreArgumentError } from './errors.ts';

/** Plain key-value, key-value whose entries expire (TTL), or time-bucketed windows. */
export type StoreKind = 'key-value' | 'ttl-key-value' | 'windowed';

/**
 * Extra time a windowed store's changelog keeps records beyond the store's retention (as Kafka
 * Streams' windowstore.changelog.additional.retention.ms), so that clock skew between record
 * timestamps and the broker never deletes a window that is still live.
 */
export const WINDOWED_CHANGELOG_EXTRA_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Topic configs a store's changelog needs: compacted (the latest value per key is the state);
 * windowed stores also delete by time, since expired windows are of no use.
 */
export function changelogTopicConfigs(
  kind: StoreKind,
  retentionMs?: number,
  storeName = '(unnamed)',
): Record<string, string> {
  // A TTL store deletes what expires (tombstones), so compaction alone keeps its changelog bounded.
  if (kind === 'key-value' || kind === 'ttl-key-value') return { 'cleanup.policy': 'compact' };
  if (retentionMs === undefined || !Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
    throw new StoreArgumentError(`a windowed store needs a positive whole retentionMs, got ${retentionMs}`, {
      storeName,
      taskId: '-',
    });
  }
  return {
    'cleanup.policy': 'compact,delete',
    'retention.ms': String(retentionMs + WINDOWED_CHANGELOG_EXTRA_RETENTION_MS),
  };
}
