import { describe, expect, it } from 'vitest';
import { localClusterNodeFlags } from '../../../src/core/config/local-cluster-node-flags.js';

describe('localClusterNodeFlags', () => {
  it('turns parallel GC off when the daemons outnumber the cores', () => {
    expect(localClusterNodeFlags(5, 2)).toEqual(['--single-threaded-gc']);
  });

  it('keeps V8 defaults when every daemon can have a core', () => {
    expect(localClusterNodeFlags(5, 8)).toEqual([]);
    expect(localClusterNodeFlags(2, 2)).toEqual([]);
  });
});
