/**
 * The per-coordinator tenant cache (cluster.md §13): at most `maxEntries`, each fresh for `ttlMs`. A stale entry
 * is still returned (flagged) so the caller can serve it while the metadata store is down. Eviction is by age of
 * insertion, which approximates LRU without reordering the map on every hit of the hot path.
 */
export interface CacheHit<T> {
  readonly value: T;
  readonly fresh: boolean;
}

export class TenantCache<T> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #nowMs: () => number;
  readonly #map = new Map<string, { value: T; expiresAt: number }>();

  constructor(opts: { ttlMs?: number; maxEntries?: number; nowMs?: () => number } = {}) {
    this.#ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.#max = opts.maxEntries ?? 10_000;
    this.#nowMs = opts.nowMs ?? Date.now;
  }

  get size(): number {
    return this.#map.size;
  }

  get(id: string): CacheHit<T> | undefined {
    const e = this.#map.get(id);
    if (!e) return undefined;
    return { value: e.value, fresh: this.#nowMs() < e.expiresAt };
  }

  set(id: string, value: T): void {
    this.#map.delete(id);
    this.#map.set(id, { value, expiresAt: this.#nowMs() + this.#ttlMs });
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as string);
  }

  delete(id: string): void {
    this.#map.delete(id);
  }

  /** Drops everything (an epoch change: placement must not use an RF older than its epoch). */
  clear(): void {
    this.#map.clear();
  }
}
