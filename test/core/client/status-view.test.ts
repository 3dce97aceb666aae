import { describe, expect, it } from 'vitest';
import { buildStatusView, formatDurationMs, statusCode, statusJson } from '../../../src/core/client/status-view.js';
import type * as pb from '../../../src/core/rpc/types.js';

function node(id: string, over: Partial<pb.StorageNodeInfo__Output> = {}): pb.StorageNodeInfo__Output {
  return {
    node_id: id,
    host: '127.0.0.1',
    port: 50052,
    state: 'NODE_STATE_NORMAL',
    liveness: 'LIVENESS_ALIVE',
    status: 'normal',
    virtual_nodes: 150,
    keys_count: '10',
    disk_usage_percent: 1,
    hints_pending: '0',
    load_bytes: '2048',
    gc_grace_ms: '864000000',
    stats_known: true,
    ...over,
  } as pb.StorageNodeInfo__Output;
}

function response(nodes: pb.StorageNodeInfo__Output[], over: Partial<pb.ClusterStatusResponse__Output> = {}): pb.ClusterStatusResponse__Output {
  return {
    topology_epoch: '1',
    nodes,
    active_migration: null,
    coordinators: [],
    hints_pending: '0',
    last_repair_completed_at_ms: '0',
    metadata_backend: 'embedded',
    redis_connected: false,
    max_replication_factor: 3,
    warnings: [],
    tenant_count: 0,
    migrations_pending: 0,
    max_hint_window_ms: '10800000',
    ...over,
  } as pb.ClusterStatusResponse__Output;
}

describe('buildStatusView', () => {
  it('produces the JSON shape of cli-and-ops.md §2.5, sorted by node id, removed nodes hidden', () => {
    const view = buildStatusView(
      response([node('s2'), node('s1', { stats_known: false }), node('s9', { state: 'NODE_STATE_REMOVED', status: 'removed' })]),
    );
    const json = statusJson(view);
    expect(json.nodes.map((n) => n.node_id)).toEqual(['s1', 's2']);
    expect(Object.keys(json.nodes[0]!)).toEqual(['node_id', 'address', 'up', 'state', 'load_bytes', 'owns', 'tokens', 'hints_pending', 'gc_grace_s']);
    expect(json.nodes[0]).toMatchObject({ up: true, state: 'normal', load_bytes: null, tokens: 150, hints_pending: 0, gc_grace_s: 864000 });
    expect(json.nodes[1]!.load_bytes).toBe(2048);
    expect(json.nodes[0]!.owns + json.nodes[1]!.owns).toBeCloseTo(1, 6);
    expect(json.migration).toBeNull();
  });

  it('marks down nodes, notes their hints, and notes gc-grace at or below the hint window', () => {
    const view = buildStatusView(
      response([node('s1', { liveness: 'LIVENESS_DOWN', status: 'down', hints_pending: '7' }), node('s2', { gc_grace_ms: '3600000' })]),
    );
    expect(view.nodes[0]!.up).toBe(false);
    expect(statusCode(view.liveness.get('s1')!, view.nodes[0]!.state)).toBe('DN');
    expect(view.notes).toEqual([
      's1 is down; 7 hints queued for it (hint window 3h).',
      's2 has gc-grace 1h, not above the hint window 3h; deleted data may reappear.',
    ]);
  });

  it('reports the active migration', () => {
    const view = buildStatusView(
      response([node('s1')], {
        active_migration: {
          migration_id: 'mig-1',
          type: 'NODE_ADDITION',
          node_id: 's4',
          tenant_id: '',
          status: 'MIGRATION_IN_PROGRESS',
          progress: { keys_migrated: '5', total_keys: '10', percentage: 50 },
        } as pb.MigrationStatus__Output,
      }),
    );
    expect(view.migration).toEqual({
      migration_id: 'mig-1',
      type: 'node_addition',
      node_id: 's4',
      tenant_id: null,
      migration_status: 'in_progress',
      percentage: 50,
    });
  });
});

describe('statusCode', () => {
  it('combines liveness and state letters', () => {
    expect(statusCode('up', 'normal')).toBe('UN');
    expect(statusCode('suspect', 'leaving')).toBe('SL');
    expect(statusCode('down', 'bootstrapping')).toBe('DB');
  });
});

describe('formatDurationMs', () => {
  it('uses the largest whole unit', () => {
    expect(formatDurationMs(10_800_000)).toBe('3h');
    expect(formatDurationMs(864_000_000)).toBe('10d');
    expect(formatDurationMs(1500)).toBe('1500ms');
  });
});
