import { describe, expect, it } from 'vitest';
import { Ring, keyPosition, ownedRange, vnodeToken } from '../../../src/core/cluster/ring.js';

const three = new Ring([
  { nodeId: 's1', virtualNodes: 2 },
  { nodeId: 's2', virtualNodes: 2 },
  { nodeId: 's3', virtualNodes: 2 },
]);

describe('Ring', () => {
  it('orders the tokens of the cluster.md §1 worked example', () => {
    expect(three.tokens.map((t) => [t.token.toString(), `${t.nodeId}-vnode-${t.vnode}`])).toEqual([
      ['1139234802781762913', 's3-vnode-0'],
      ['6654384044991765268', 's2-vnode-1'],
      ['8875426086074265851', 's2-vnode-0'],
      ['9077595331994385662', 's1-vnode-0'],
      ['15245366211847763874', 's3-vnode-1'],
      ['15513824548034924937', 's1-vnode-1'],
    ]);
  });

  it('places acme:user:42 on [s3, s2, s1] by wrapping past the highest token', () => {
    expect(keyPosition('acme', 'user:42')).toBe(16051760962998858098n);
    expect(keyPosition('acme', 'user:42').toString(16)).toBe('dec34f8ccb077172');
    expect(three.preferenceList('acme', 'user:42', 3)).toEqual(['s3', 's2', 's1']);
    expect(three.preferenceList('acme', 'user:42', 2)).toEqual(['s3', 's2']);
  });

  it('places acme:a on [s2, s1, s3]', () => {
    expect(keyPosition('acme', 'a')).toBe(3964502652775815663n);
    expect(three.preferenceList('acme', 'a', 3)).toEqual(['s2', 's1', 's3']);
    expect(three.preferenceList('acme', 'a', 1)).toEqual(['s2']);
  });

  it('computes the tokens of s4 from cluster.md §11.2', () => {
    // The spec lists them ascending, not by vnode index.
    expect([vnodeToken('s4', 0), vnodeToken('s4', 1)].sort((a, b) => (a < b ? -1 : 1))).toEqual([
      12647491658039089353n,
      14541881087732058077n,
    ]);
  });

  it('gives a token its own position and the position just above to the next vnode', () => {
    expect(three.preferenceListAt(1139234802781762913n, 3)).toEqual(['s3', 's2', 's1']);
    expect(three.preferenceListAt(1139234802781762914n, 3)).toEqual(['s2', 's1', 's3']);
    expect(three.preferenceListAt(0n, 1)).toEqual(['s3']);
    expect(three.preferenceListAt((1n << 64n) - 1n, 1)).toEqual(['s3']);
    expect(three.preferenceListAt(15513824548034924937n, 2)).toEqual(['s1', 's3']);
  });

  it('returns fewer nodes than rf when the ring is smaller, and nothing for an empty ring', () => {
    expect(three.preferenceList('acme', 'a', 5)).toEqual(['s2', 's1', 's3']);
    expect(new Ring([]).preferenceList('acme', 'a', 3)).toEqual([]);
    expect(new Ring([{ nodeId: 's1', virtualNodes: 3 }]).preferenceList('acme', 'a', 3)).toEqual(['s1']);
  });

  it('agrees with a BigInt reference walk for many keys and 150 vnodes per node', () => {
    const nodes = ['s1', 's2', 's3', 's4', 's5'].map((nodeId) => ({ nodeId, virtualNodes: 150 }));
    const ring = new Ring(nodes);
    const toks = ring.tokens;
    for (let i = 0; i < 500; i++) {
      const pos = keyPosition('t', `k${i}`);
      let start = toks.findIndex((t) => t.token >= pos);
      if (start < 0) start = 0;
      const ref: string[] = [];
      for (let k = 0; k < toks.length && ref.length < 3; k++) {
        const id = toks[(start + k) % toks.length]!.nodeId;
        if (!ref.includes(id)) ref.push(id);
      }
      expect(ring.preferenceList('t', `k${i}`, 3)).toEqual(ref);
    }
  });

  it('turns an owned range (prev, H] into the wire range [prev+1, H+1) mod 2^64', () => {
    expect(ownedRange(1139234802781762913n, 6654384044991765268n)).toEqual({
      start: 1139234802781762914n,
      end: 6654384044991765269n,
    });
    expect(ownedRange(15513824548034924937n, (1n << 64n) - 1n)).toEqual({ start: 15513824548034924938n, end: 0n });
  });
});
