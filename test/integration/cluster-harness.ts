import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalCluster, type LocalClusterOptions } from '../../src/bench/local-cluster.js';
import { StorageClient } from '../../src/core/rpc/clients.js';

export interface GatewayAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One gateway HTTP call with a JSON body (if any); the answer's JSON parsed. */
export async function gatewayCall(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<GatewayAnswer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Runs `fn` over 0..n-1 with `concurrency` workers. */
export async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/**
 * One real 3-node cluster (gateway, coordinator, storage s1–s3) per test file, started before its tests and
 * stopped after; `api` calls the gateway and parses the JSON answer. Call at the top level of a test file.
 */
export function clusterHarness(prefix: string, options: Omit<LocalClusterOptions, 'dataDir'> = {}) {
  let dataDir = '';
  let cluster: LocalCluster | undefined;
  let storage: StorageClient[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), prefix));
    cluster = new LocalCluster({ dataDir, nodes: 3, ...options });
    await cluster.start();
    storage = cluster.storage.map((n) => new StorageClient(`127.0.0.1:${n.port}`));
  }, 60_000);

  afterAll(async () => {
    for (const s of storage) s.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    get cluster(): LocalCluster {
      return cluster!;
    },
    get dataDir(): string {
      return dataDir;
    },
    /** A StorageClient per node started with the cluster (s1, s2, s3 …), closed after the file's tests. */
    get storage(): StorageClient[] {
      return storage;
    },
    api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<GatewayAnswer> {
      return gatewayCall(cluster!.gatewayUrl, method, path, body, headers);
    },
  };
}
