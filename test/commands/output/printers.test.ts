import { describe, expect, it } from 'vitest';
import { printerFor, type PrinterIO } from '../../../src/commands/output/printer.js';
import type { GetBody, NodeListBody, PutBody, TenantListBody } from '../../../src/core/client/api-types.js';
import { buildStatusView } from '../../../src/core/client/status-view.js';
import type * as pb from '../../../src/core/rpc/types.js';

function capture(color = false, tty = false): { io: PrinterIO; out: () => string; notes: string[] } {
  let out = '';
  const notes: string[] = [];
  return {
    io: { stdout: { write: (s: string) => (out += s) }, note: (m) => notes.push(m), color, tty },
    out: () => out,
    notes,
  };
}

const PUT: PutBody = {
  status: 'success',
  key: 'hello',
  idempotency_key: 'k-1',
  vector_clock: { c1: 7 },
  replica_count: 3,
  consistency: 'quorum',
  is_duplicate: false,
};

const GET_STR: GetBody = { status: 'success', key: 'hello', value: 'world', vector_clock: { c1: 7 } };
const GET_OBJ: GetBody = { status: 'success', key: 'u', value: { name: 'Ada', tags: ['x'] }, vector_clock: { c1: 1 } };
const GET_SIBLINGS: GetBody = {
  status: 'success',
  key: 'cart',
  value: ['b'],
  vector_clock: { c1: 3, c2: 5 },
  siblings: [
    { value: ['b'], vector_clock: { c2: 5 } },
    { value: 'a', vector_clock: { c1: 3 } },
    { deleted: true, vector_clock: { c1: 2 } },
  ],
};

const TENANTS: TenantListBody = {
  status: 'success',
  tenants: [
    {
      tenant_id: 'acme',
      replication_factor: 3,
      conflict_resolution: 'lww',
      rate_limits: { writes_per_minute: null, reads_per_minute: 500 },
      created_at: '2025-03-01T09:30:00.000Z',
      updated_at: '2025-03-01T09:30:00.000Z',
      version: 1,
    },
    {
      tenant_id: 'demo',
      replication_factor: 1,
      conflict_resolution: 'siblings',
      rate_limits: { writes_per_minute: 10, reads_per_minute: null },
      created_at: '2025-03-02T09:30:00.000Z',
      updated_at: '2025-03-02T09:30:00.000Z',
      version: 2,
    },
  ],
  next_cursor: null,
};

const NODES: NodeListBody = {
  status: 'success',
  nodes: [{ node_id: 's1', host: '127.0.0.1', port: 50052, status: 'normal', virtual_nodes: 150, keys_count: null, disk_usage_percent: 12.5 }],
};

describe('JsonPrinter', () => {
  it('prints the exact API body, 2-space indented, member order kept', () => {
    const c = capture();
    printerFor('json', c.io).put(PUT);
    expect(c.out()).toBe(`${JSON.stringify(PUT, null, 2)}\n`);
    expect(Object.keys(JSON.parse(c.out()))).toEqual(Object.keys(PUT));
  });

  it('prints get bodies with siblings unchanged and writes no notes', () => {
    const c = capture();
    printerFor('json', c.io).get(GET_SIBLINGS);
    expect(JSON.parse(c.out())).toEqual(GET_SIBLINGS);
    expect(c.notes).toEqual([]);
  });
});

describe('NdjsonPrinter', () => {
  it('prints one compact object per list item', () => {
    const c = capture();
    printerFor('ndjson', c.io).tenantList(TENANTS);
    const lines = c.out().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual(TENANTS.tenants[0]);
    expect(lines[1]).toBe(JSON.stringify(TENANTS.tenants[1]));
  });
});

describe('SimplePrinter', () => {
  it('prints OK for put and delete', () => {
    const c = capture();
    const p = printerFor('simple', c.io);
    p.put(PUT);
    p.delete({ status: 'success', key: 'hello', vector_clock: { c1: 8 }, replica_count: 3 });
    expect(c.out()).toBe('OK\nOK\n');
  });

  it('prints a string value raw and other values as compact JSON', () => {
    const c = capture();
    const p = printerFor('simple', c.io);
    p.get(GET_STR);
    p.get(GET_OBJ);
    p.get({ ...GET_STR, value: '42' });
    p.get({ ...GET_STR, value: 42 });
    p.get({ ...GET_STR, value: null });
    expect(c.out()).toBe('world\n{"name":"Ada","tags":["x"]}\n42\n42\nnull\n');
  });

  it('prints live siblings one per line and counts them in a note', () => {
    const c = capture();
    printerFor('simple', c.io).get(GET_SIBLINGS);
    expect(c.out()).toBe('["b"]\na\n');
    expect(c.notes).toHaveLength(1);
    expect(c.notes[0]).toMatch(/^note: 3 siblings/);
  });

  it('prints tenants as tab-separated rows without a header', () => {
    const c = capture();
    printerFor('simple', c.io).tenantList(TENANTS);
    const rows = c.out().trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows).toEqual([
      ['acme', '3', 'lww', 'default', '500', '2025-03-01T09:30:00.000Z'],
      ['demo', '1', 'siblings', '10', 'default', '2025-03-02T09:30:00.000Z'],
    ]);
  });
});

describe('TablePrinter', () => {
  it('prints the put columns of cli-and-ops.md §2.3 and the clock as JSON', () => {
    const c = capture();
    printerFor('table', c.io).put(PUT);
    const [head, row] = c.out().trimEnd().split('\n');
    expect(head!.split(/\s{2,}/)).toEqual(['KEY', 'VECTOR CLOCK', 'REPLICAS', 'CONSISTENCY', 'DUPLICATE']);
    expect(row!.split(/\s{2,}/)).toEqual(['hello', '{"c1":7}', '3', 'quorum', 'no']);
  });

  it('prints a row per sibling', () => {
    const c = capture();
    printerFor('table', c.io).get(GET_SIBLINGS);
    expect(c.out().trimEnd().split('\n')).toHaveLength(4);
    expect(c.notes).toHaveLength(1);
  });

  it('prints the node columns with unknown stats as ?', () => {
    const c = capture();
    printerFor('table', c.io).nodeList(NODES);
    const [head, row] = c.out().trimEnd().split('\n');
    expect(head!.split(/\s{2,}/)).toEqual(['NODE', 'ADDRESS', 'STATE', 'VNODES', 'KEYS', 'DISK%']);
    expect(row!.split(/\s{2,}/)).toEqual(['s1', '127.0.0.1:50052', 'normal', '150', '?', '12.5%']);
  });

  it('uses no escape codes without colour and some with it', () => {
    const plain = capture(false);
    printerFor('table', plain.io).nodeList(NODES);
    expect(plain.out()).not.toContain('\u001b[');
    const coloured = capture(true);
    printerFor('table', coloured.io).nodeList(NODES);
    expect(coloured.out()).toContain('\u001b[');
  });

  it('prints the nodetool-style status with a header line and notes for a down node', () => {
    const res = {
      topology_epoch: '3',
      nodes: [
        node('s1', 50052, 'LIVENESS_ALIVE', 'normal', '13002342'),
        node('s2', 50053, 'LIVENESS_DOWN', 'down', '0', '1204'),
      ],
      active_migration: null,
      coordinators: [],
      hints_pending: '1204',
      last_repair_completed_at_ms: '0',
      metadata_backend: 'embedded',
      redis_connected: false,
      max_replication_factor: 2,
      warnings: [],
      tenant_count: 1,
      migrations_pending: 0,
      max_hint_window_ms: '10800000',
    } as pb.ClusterStatusResponse__Output;
    const c = capture(false, false);
    printerFor('table', c.io).status(buildStatusView(res));
    const lines = c.out().trimEnd().split('\n');
    expect(lines[0]).toBe('Cluster: 2 storage nodes (1 up), 20 tokens, metadata embedded, migration: none');
    // No legend when stdout is not a terminal.
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['ST', 'NODE', 'ADDRESS', 'LOAD', 'OWNS', 'TOKENS', 'HINTS']);
    expect(lines[2]!.split(/\s{2,}/).slice(0, 4)).toEqual(['UN', 's1', '127.0.0.1:50052', '12.4 MiB']);
    expect(lines[3]!.split(/\s{2,}/)[0]).toBe('DN');
    expect(c.notes).toEqual(['Note: s2 is down; 1204 hints queued for it (hint window 3h).']);
  });
});

function node(id: string, port: number, liveness: string, status: string, load: string, hints = '0'): pb.StorageNodeInfo__Output {
  return {
    node_id: id,
    host: '127.0.0.1',
    port,
    state: 'NODE_STATE_NORMAL',
    liveness,
    status,
    virtual_nodes: 10,
    keys_count: '0',
    disk_usage_percent: 0,
    hints_pending: hints,
    load_bytes: load,
    gc_grace_ms: '864000000',
    stats_known: true,
  } as pb.StorageNodeInfo__Output;
}
