import { afterEach, beforeEach } from 'vitest';
import { silentLogger } from '../../src/core/observability/logger.js';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { StorageDaemon, type StorageDaemonConfig } from '../../src/daemons/storage.js';
import { tempDir } from '../core/engine/helpers.js';

async function lowDiskStatfs(): Promise<{ bsize: number; blocks: number; bavail: number }> {
  return { bsize: 4096, blocks: 1_000_000, bavail: 900_000 };
}

/**
 * In-process StorageDaemons on port 0 in a fresh temp dir per test, each with a StorageClient; all stopped and the
 * dir removed after the test. Call at the top level of a test file.
 */
export function storageDaemonHarness(prefix: string, defaults: Partial<StorageDaemonConfig> = {}) {
  let tmp: ReturnType<typeof tempDir> | undefined;
  const daemons: StorageDaemon[] = [];
  const clients: StorageClient[] = [];

  beforeEach(() => {
    tmp = tempDir(prefix);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const d of daemons.splice(0)) await d.stop('test done');
    tmp?.cleanup();
  });

  return {
    /** This test's data directory. */
    get dir(): string {
      return tmp!.dir;
    },
    async start(
      cfg: Partial<StorageDaemonConfig> = {},
      onFatal?: (err: Error) => void,
    ): Promise<{ daemon: StorageDaemon; client: StorageClient }> {
      const daemon = new StorageDaemon(
        {
          nodeId: 's1',
          dataDir: tmp!.dir,
          host: '127.0.0.1',
          port: 0,
          adminPort: null,
          commitlogSync: 'batch',
          shutdownTimeoutMs: 5000,
          // A disk 10 % used whatever this machine's is: Health/Stats assertions must not depend on the CI disk
          // (§9: 80 % makes the node degraded). Tests of the disk guard pass their own statfs (or undefined: real).
          statfs: lowDiskStatfs,
          ...defaults,
          ...cfg,
        },
        silentLogger(),
        onFatal,
      );
      daemons.push(daemon);
      await daemon.start();
      const client = new StorageClient(`127.0.0.1:${daemon.grpcPort}`);
      clients.push(client);
      return { daemon, client };
    },
  };
}

/** The flags `pairdb storage` gets by default (commander fills these in), for tests of storageConfigFromFlags. */
export function defaultStorageFlags(dataDir: string) {
  return {
    nodeId: 's1',
    dataDir,
    host: '127.0.0.1',
    port: '0',
    adminPort: '0',
    commitlogSync: 'batch',
    commitlogSyncInterval: '1s',
    commitlogSegmentSize: '64MiB',
    memtableSize: '64MiB',
    flushOnShutdown: 'true',
    shutdownTimeout: '30s',
    logLevel: 'info',
    engine: 'lsm',
  };
}
