/**
 * An in-memory `SecretStore` for tests: same contract as the Secrets Manager adapter, plus a peek at
 * what was written and a write counter.
 */
import type { SecretStore } from '../../lambda/domain/ports.js';

export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  /** Number of `put` calls so far. */
  writes = 0;

  constructor(initial: Record<string, string> = {}) {
    for (const [id, value] of Object.entries(initial)) this.values.set(id, value);
  }

  async get(secretId: string): Promise<string | undefined> {
    return this.values.get(secretId);
  }

  async put(secretId: string, value: string): Promise<void> {
    this.writes++;
    this.values.set(secretId, value);
  }

  /** Atomic by construction: `change` runs synchronously between two awaits. */
  async update(secretId: string, change: (current: string | undefined) => string | undefined): Promise<string | undefined> {
    const current = this.values.get(secretId);
    const next = change(current);
    if (next === undefined || next === current) return current;
    this.writes++;
    this.values.set(secretId, next);
    return next;
  }

  async delete(secretId: string): Promise<void> {
    this.values.delete(secretId);
  }

  /** The parsed JSON value of a secret (test convenience). */
  json<T = unknown>(secretId: string): T | undefined {
    const v = this.values.get(secretId);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
}
