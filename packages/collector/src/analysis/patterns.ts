import { detectPatterns } from '@heed/ml-core';
import type { KeyValueCache } from '../cache/kv.js';
import { HeedError } from '../errors.js';
import type { Storage, StoredPattern } from '../storage/types.js';

export const PATTERN_WINDOW_DAYS = 30;
export const PATTERN_CACHE_TTL_MS = 10 * 60 * 1000;

/**
 * A customer's behaviour patterns over the last 30 days: computed by ml-core, stored in
 * behavior_patterns (replacing the previous set) and cached for 10 minutes.
 */
export class PatternService {
  constructor(
    private readonly storage: Storage,
    private readonly cache: KeyValueCache,
  ) {}

  async forCustomer(organizationId: string, customerId: string, now = new Date()): Promise<StoredPattern[]> {
    const key = `patterns:${organizationId}:${customerId}`;
    const hit = await this.cache.get(key);
    if (hit) {
      return (JSON.parse(hit) as Array<StoredPattern & { detectedAt: string }>).map((p) => ({
        ...p,
        detectedAt: new Date(p.detectedAt),
      }));
    }
    const customer = await this.storage.getCustomerById(organizationId, customerId);
    if (!customer) throw new HeedError('not_found', 'No such customer');
    const since = new Date(now.getTime() - PATTERN_WINDOW_DAYS * 86_400_000);
    const inputs = await this.storage.signals.patternInputs(organizationId, customerId, since);
    const detected = detectPatterns(inputs, { now, windowDays: PATTERN_WINDOW_DAYS });
    const stored = await this.storage.signals.replacePatterns(
      organizationId,
      customerId,
      detected.map((p) => ({
        patternType: p.patternType,
        description: p.description,
        confidence: p.confidence,
        frequency: p.frequency,
        metadata: p.metadata as StoredPattern['metadata'],
      })),
    );
    await this.cache.set(key, JSON.stringify(stored), PATTERN_CACHE_TTL_MS);
    return stored;
  }
}
