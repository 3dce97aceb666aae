import { describe, expect, it } from 'vitest';
import { vnodeToken } from '../../../src/core/cluster/ring.js';
import { ringOwnership } from '../../../src/core/client/ownership.js';

describe('ringOwnership', () => {
  it('computes the token table of cluster.md §1', () => {
    expect(vnodeToken('s1', 0)).toBe(9077595331994385662n);
    expect(vnodeToken('s1', 1)).toBe(15513824548034924937n);
    expect(vnodeToken('s2', 0)).toBe(8875426086074265851n);
    expect(vnodeToken('s2', 1)).toBe(6654384044991765268n);
    expect(vnodeToken('s3', 0)).toBe(1139234802781762913n);
    expect(vnodeToken('s3', 1)).toBe(15245366211847763874n);
  });

  it('gives each node the ranges (prev, H] of its tokens, the lowest wrapping past the highest', () => {
    const own = ringOwnership(['s1', 's2', 's3'].map((nodeId) => ({ nodeId, vnodes: 2 })));
    const RING = 2 ** 64;
    // s1: (8875426086074265851, 9077595331994385662] + (15245366211847763874, 15513824548034924937]
    const s1 = (9077595331994385662 - 8875426086074265851 + (15513824548034924937 - 15245366211847763874)) / RING;
    // s3: (15513824548034924937, 2^64) ∪ [0, 1139234802781762913] + (9077595331994385662, 15245366211847763874]
    const s3 = (RING - 15513824548034924937 + 1139234802781762913 + (15245366211847763874 - 9077595331994385662)) / RING;
    expect(own.get('s1')).toBeCloseTo(s1, 6);
    expect(own.get('s3')).toBeCloseTo(s3, 6);
    const total = [...own.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 6);
  });

  it('gives every node the whole ring when rf equals the node count', () => {
    const own = ringOwnership(['a', 'b', 'c'].map((nodeId) => ({ nodeId, vnodes: 16 })), 3);
    for (const v of own.values()) expect(v).toBeCloseTo(1, 6);
  });

  it('sums to rf for an effective share below the node count', () => {
    const own = ringOwnership(['a', 'b', 'c', 'd'].map((nodeId) => ({ nodeId, vnodes: 8 })), 2);
    expect([...own.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(2, 6);
  });

  it('gives a single node everything and a node without vnodes nothing', () => {
    const own = ringOwnership([
      { nodeId: 'only', vnodes: 1 },
      { nodeId: 'empty', vnodes: 0 },
    ]);
    expect(own.get('only')).toBe(1);
    expect(own.get('empty')).toBe(0);
  });
});
