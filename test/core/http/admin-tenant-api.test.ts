import { describe, expect, it } from 'vitest';
import {
  parseReplicationFactor,
  parseTenantCreate,
  parseTenantList,
  parseTenantPatch,
  replicationFactorJson,
  tenantJson,
  tenantListJson,
} from '../../../src/core/http/tenant-api.js';
import {
  clusterJson,
  isMigrationId,
  migrationJson,
  migrationPercentage,
  nodeChangeJson,
  nodesJson,
  parseAddNode,
  parseRemoveNode,
} from '../../../src/core/http/admin-api.js';
import { parseQuery } from '../../../src/core/http/query.js';
import { PairdbError } from '../../../src/core/errors.js';
import type * as pb from '../../../src/core/rpc/types.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as PairdbError).code;
  }
}

const Q = parseQuery(undefined);

const TENANT: pb.Tenant__Output = {
  tenant_id: 'acme',
  replication_factor: 3,
  conflict_resolution: 'CONFLICT_RESOLUTION_LWW',
  write_rate_per_min: 0,
  read_rate_per_min: 0,
  created_at_ms: '1740821400000',
  updated_at_ms: '1740821400000',
  version: '1',
};

describe('tenant input', () => {
  it('POST: defaults are zero fields on the wire', () => {
    expect(parseTenantCreate({ tenant_id: 't-1a2b', replication_factor: 2 }, Q)).toEqual({
      tenant_id: 't-1a2b',
      replication_factor: 2,
      conflict_resolution: 'CONFLICT_RESOLUTION_LWW',
      write_rate_per_min: 0,
      read_rate_per_min: 0,
    });
    expect(
      parseTenantCreate({ tenant_id: 'a', conflict_resolution: 'siblings', rate_limits: { writes_per_minute: 5, reads_per_minute: null } }, Q),
    ).toMatchObject({ replication_factor: 0, conflict_resolution: 'CONFLICT_RESOLUTION_SIBLINGS', write_rate_per_min: 5, read_rate_per_min: 0 });
  });

  it('POST: replication factor violations are INVALID_REPLICATION_FACTOR, the rest INVALID_REQUEST', () => {
    for (const rf of [0, 11, 2.5, '3', true]) {
      expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', replication_factor: rf }, Q)), String(rf)).toBe('INVALID_REPLICATION_FACTOR');
    }
    expect(codeOf(() => parseTenantCreate({}, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a b' }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', conflict_resolution: 'LWW' }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', rate_limits: { writes_per_minute: 0 } }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', rate_limits: { writes_per_minute: 10_000_001 } }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', rate_limits: { other: 1 } }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', rate_limits: [] }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a', extra: 1 }, Q))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantCreate({ tenant_id: 'a' }, parseQuery('x=1')))).toBe('INVALID_REQUEST');
  });

  it('PATCH: sets only what was given; null resets a limit to the default (0)', () => {
    expect(parseTenantPatch({ conflict_resolution: 'siblings' }, Q, 'acme')).toEqual({
      tenant_id: 'acme',
      conflict_resolution: 'CONFLICT_RESOLUTION_SIBLINGS',
    });
    const r = parseTenantPatch({ tenant_id: 'acme', rate_limits: { writes_per_minute: null } }, Q, 'acme');
    expect(r).toEqual({ tenant_id: 'acme', write_rate_per_min: 0 });
    expect('read_rate_per_min' in r).toBe(false);
  });

  it('PATCH: refuses {}, replication_factor and a body tenant differing from the path', () => {
    expect(codeOf(() => parseTenantPatch({}, Q, 'acme'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantPatch({ conflict_resolution: null }, Q, 'acme'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantPatch({ replication_factor: 3 }, Q, 'acme'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseTenantPatch({ tenant_id: 'other', conflict_resolution: 'lww' }, Q, 'acme'))).toBe('INVALID_REQUEST');
  });

  it('PUT replication-factor', () => {
    expect(parseReplicationFactor({ replication_factor: 5 }, Q, 'acme')).toEqual({ tenant_id: 'acme', new_replication_factor: 5 });
    expect(codeOf(() => parseReplicationFactor({ replication_factor: 11 }, Q, 'acme'))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => parseReplicationFactor({ replication_factor: '5' }, Q, 'acme'))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => parseReplicationFactor({}, Q, 'acme'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseReplicationFactor({ replication_factor: 5, tenant_id: 'b' }, Q, 'acme'))).toBe('INVALID_REQUEST');
  });

  it('GET list: limit 1-1000 (default 100) and a cursor', () => {
    expect(parseTenantList(Q)).toEqual({ limit: 100, cursor: '' });
    expect(parseTenantList(parseQuery('limit=1000&cursor=acme'))).toEqual({ limit: 1000, cursor: 'acme' });
    for (const q of ['limit=0', 'limit=1001', 'limit=1.5', 'limit=-1', 'limit=', 'limit=abc', 'other=1', 'cursor=a%20b']) {
      expect(codeOf(() => parseTenantList(parseQuery(q))), q).toBe('INVALID_REQUEST');
    }
  });
});

describe('tenant output', () => {
  it('the tenant object in the documented order, 0 limits as null', () => {
    expect(tenantJson({ tenant: TENANT, active_migration_id: '' })).toBe(
      '{"status":"success","tenant_id":"acme","replication_factor":3,"conflict_resolution":"lww","rate_limits":{"writes_per_minute":null,"reads_per_minute":null},"created_at":"2025-03-01T09:30:00.000Z","updated_at":"2025-03-01T09:30:00.000Z","version":1}',
    );
  });

  it('lists tenants without status and with next_cursor null at the end', () => {
    const body = JSON.parse(tenantListJson({ tenants: [{ ...TENANT, write_rate_per_min: 60 }], next_cursor: '' }));
    expect(Object.keys(body)).toEqual(['status', 'tenants', 'next_cursor']);
    expect(body.tenants[0].status).toBeUndefined();
    expect(body.tenants[0].rate_limits).toEqual({ writes_per_minute: 60, reads_per_minute: null });
    expect(body.next_cursor).toBeNull();
    expect(JSON.parse(tenantListJson({ tenants: [], next_cursor: 'acme' })).next_cursor).toBe('acme');
  });

  it('replication factor answer: migration_id null when unchanged', () => {
    const r = { tenant_id: 'acme', old_replication_factor: 3, new_replication_factor: 3, migration_id: '', updated_at_ms: '1740821400000' };
    expect(replicationFactorJson(r)).toBe(
      '{"status":"success","tenant_id":"acme","old_replication_factor":3,"new_replication_factor":3,"migration_id":null,"updated_at":"2025-03-01T09:30:00.000Z"}',
    );
  });
});

describe('admin input', () => {
  it('POST storage-nodes', () => {
    expect(parseAddNode({ node_id: 'storage-4', host: '127.0.0.1', port: 50055 }, Q)).toEqual({
      node_id: 'storage-4',
      host: '127.0.0.1',
      port: 50055,
      virtual_nodes: 150,
    });
    expect(parseAddNode({ node_id: 's', host: '::1', port: 1, virtual_nodes: 1024 }, Q).virtual_nodes).toBe(1024);
    for (const b of [
      { host: 'h', port: 1 },
      { node_id: 'x'.repeat(129), host: 'h', port: 1 },
      { node_id: 's', host: '[::1]', port: 1 },
      { node_id: 's', host: 'h', port: 0 },
      { node_id: 's', host: 'h', port: 65536 },
      { node_id: 's', host: 'h' },
      { node_id: 's', host: 'h', port: 1, virtual_nodes: 0 },
      { node_id: 's', host: 'h', port: 1, zone: 'a' },
    ]) {
      expect(codeOf(() => parseAddNode(b, Q)), JSON.stringify(b)).toBe('INVALID_REQUEST');
    }
  });

  it('DELETE storage-nodes: force exactly true or false', () => {
    expect(parseRemoveNode('s1', Q)).toEqual({ node_id: 's1', force: false });
    expect(parseRemoveNode('s1', parseQuery('force=true'))).toEqual({ node_id: 's1', force: true });
    for (const q of ['force=1', 'force=TRUE', 'force=', 'x=1']) expect(codeOf(() => parseRemoveNode('s1', parseQuery(q))), q).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseRemoveNode('bad id', Q))).toBe('INVALID_REQUEST');
  });

  it('recognizes migration ids', () => {
    expect(isMigrationId('mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e')).toBe(true);
    expect(isMigrationId('mig-5D2F7C1E-8A9B-4C3D-B1E2-6F7A8B9C0D1E')).toBe(false);
    expect(isMigrationId('5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e')).toBe(false);
  });
});

describe('admin output', () => {
  it('202 body of a node change', () => {
    expect(nodeChangeJson({ node_id: 'storage-4', migration_id: 'mig-1', message: '', estimated_completion_ms: '0' }, 'node addition accepted')).toBe(
      '{"status":"accepted","node_id":"storage-4","migration_id":"mig-1","message":"node addition accepted","estimated_completion":null}',
    );
  });

  const node = (id: string, status: string, extra: Partial<pb.StorageNodeInfo__Output> = {}): pb.StorageNodeInfo__Output => ({
    node_id: id,
    host: '127.0.0.1',
    port: 50052,
    state: 'NODE_STATE_NORMAL',
    liveness: 'LIVENESS_ALIVE',
    status,
    virtual_nodes: 150,
    keys_count: '50213',
    disk_usage_percent: 12.5,
    hints_pending: '0',
    load_bytes: '0',
    gc_grace_ms: '0',
    stats_known: true,
    ...extra,
  });

  it('node list sorted by id, removed nodes hidden, unknown stats null', () => {
    const body = JSON.parse(
      nodesJson({ nodes: [node('storage-2', 'down', { stats_known: false }), node('storage-1', 'normal'), node('storage-0', 'removed')] }),
    );
    expect(body).toEqual({
      status: 'success',
      nodes: [
        { node_id: 'storage-1', host: '127.0.0.1', port: 50052, status: 'normal', virtual_nodes: 150, keys_count: 50213, disk_usage_percent: 12.5 },
        { node_id: 'storage-2', host: '127.0.0.1', port: 50052, status: 'down', virtual_nodes: 150, keys_count: null, disk_usage_percent: null },
      ],
    });
    expect(nodesJson({ nodes: [] })).toBe('{"status":"success","nodes":[]}');
  });

  it('migration percentage rule', () => {
    expect(migrationPercentage(50000n, 100000n, 'in_progress')).toBe(50);
    expect(migrationPercentage(1n, 3n, 'in_progress')).toBe(33.33);
    expect(migrationPercentage(2n, 3n, 'in_progress')).toBe(66.66);
    expect(migrationPercentage(0n, 0n, 'completed')).toBe(100);
    expect(migrationPercentage(0n, 0n, 'pending')).toBe(0);
  });

  it('migration body in the documented order', () => {
    const m = {
      migration_id: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e',
      type: 'REPLICATION_CHANGE',
      node_id: '',
      tenant_id: 'acme',
      status: 'MIGRATION_PENDING',
      phase: 'MIGRATION_PHASE_UNSPECIFIED',
      progress: { keys_migrated: '0', total_keys: '0', percentage: 0 },
      started_at_ms: '0',
      estimated_completion_ms: '0',
      completed_at_ms: '0',
      error_message: '',
      old_replication_factor: 3,
      new_replication_factor: 5,
      tasks_total: 0,
      tasks_completed: 0,
      cleanup_after_ms: '0',
    } as pb.MigrationStatus__Output;
    expect(migrationJson(m)).toBe(
      '{"status":"success","migration_id":"mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e","type":"replication_change","node_id":null,"tenant_id":"acme","migration_status":"pending","progress":{"keys_migrated":0,"total_keys":0,"percentage":0},"started_at":null,"estimated_completion":null,"completed_at":null,"error":null}',
    );
  });

  it('cluster: healthy and degraded', () => {
    const base = {
      topology_epoch: '1',
      nodes: [node('s1', 'normal'), node('s2', 'normal'), node('s3', 'normal')],
      active_migration: null,
      coordinators: [],
      hints_pending: '0',
      last_repair_completed_at_ms: '0',
      metadata_backend: 'embedded',
      redis_connected: false,
      max_replication_factor: 3,
      warnings: [],
      tenant_count: 2,
      migrations_pending: 0,
      max_hint_window_ms: '0',
    } as pb.ClusterStatusResponse__Output;
    const coords = [{ address: '127.0.0.1:50051', healthy: true }];
    expect(clusterJson(base, coords, '0.1.0', 1740822000000)).toBe(
      '{"status":"success","cluster_status":"healthy","version":"0.1.0","generated_at":"2025-03-01T09:40:00.000Z","coordinators":[{"address":"127.0.0.1:50051","healthy":true}],"storage_nodes":{"total":3,"bootstrapping":0,"normal":3,"leaving":0,"down":0,"failed":0},"tenants":{"count":2,"max_replication_factor":3},"migrations":{"active":null,"pending":0}}',
    );
    expect(JSON.parse(clusterJson(base, [{ address: 'a', healthy: false }], '0.1.0', 0)).cluster_status).toBe('degraded');
    const down = { ...base, nodes: [node('s1', 'normal'), node('s2', 'normal'), node('s3', 'down')] };
    const d = JSON.parse(clusterJson(down, coords, '0.1.0', 0));
    expect(d.cluster_status).toBe('degraded');
    expect(d.storage_nodes).toMatchObject({ total: 3, normal: 2, down: 1 });
    const few = { ...base, nodes: [node('s1', 'normal'), node('s2', 'bootstrapping')] };
    expect(JSON.parse(clusterJson(few, coords, '0.1.0', 0)).cluster_status).toBe('degraded');
  });
});
