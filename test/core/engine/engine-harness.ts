import { afterEach, beforeEach } from 'vitest';
import { StorageEngine, type StorageEngineOptions } from '../../../src/core/engine/engine.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { tempDir } from './helpers.js';

/**
 * A fresh temp data dir per test and StorageEngines opened on it; engines still open after the test are closed
 * and the dir removed. Call at the top level of a test file.
 */
export function engineHarness(prefix: string) {
  let tmp: ReturnType<typeof tempDir> | undefined;
  const engines: StorageEngine[] = [];

  beforeEach(() => {
    tmp = tempDir(prefix);
  });

  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => undefined);
    tmp?.cleanup();
  });

  return {
    /** This test's data directory. */
    get dir(): string {
      return tmp!.dir;
    },
    async open(opts: Partial<StorageEngineOptions> = {}): Promise<StorageEngine> {
      const e = await StorageEngine.open({ dataDir: tmp!.dir, logger: silentLogger(), ...opts });
      engines.push(e);
      return e;
    },
    /** Closes an engine the test is done with (so the harness does not close it again). */
    async close(e: StorageEngine): Promise<void> {
      await e.close();
      engines.splice(engines.indexOf(e), 1);
    },
  };
}
