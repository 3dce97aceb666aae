import type * as grpc from '@grpc/grpc-js';
import { PairdbError, type ErrorCode, type Outcome } from '../../../src/core/errors.js';
import { pipeServer, unaryServer, type RequestContext } from '../../../src/core/rpc/pipe.js';
import { bindServer, createServer, shutdownServer } from '../../../src/core/rpc/server.js';
import type * as pb from '../../../src/core/rpc/types.js';

/**
 * A real gRPC CoordinatorService on 127.0.0.1 with an in-memory map instead of a cluster: enough to drive the
 * gateway through every endpoint. Not a model of the coordinator's semantics (no quorum, no repair).
 */

export interface Recorded {
  rpc: string;
  request: unknown;
  ctx: RequestContext;
}

interface Stored {
  value: Buffer;
  counter: number;
}

export class StubCoordinator {
  readonly calls: Recorded[] = [];
  readonly tenants = new Map<string, pb.Tenant>();
  readonly data = new Map<string, Stored>();
  readonly idempotency = new Map<string, pb.WriteKeyValueResponse__Output>();
  /** The next call of this RPC fails with this error. */
  failNext = new Map<string, { code: ErrorCode; outcome?: Outcome }>();
  /** Calls of this RPC wait (until `release()` or the caller's deadline). */
  hang = new Set<string>();
  #held: Array<() => void> = [];
  /** Siblings returned by ReadKeyValue for this key. */
  siblings = new Map<string, pb.Sibling[]>();
  #server: grpc.Server | undefined;
  port = 0;

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const run =
      (rpc: string, fn: (req: any, ctx: RequestContext) => Promise<object>) =>
      async (req: any, ctx: RequestContext): Promise<object> => {
        this.calls.push({ rpc, request: req, ctx });
        const f = this.failNext.get(rpc);
        if (f) {
          this.failNext.delete(rpc);
          throw new PairdbError(f.code, `stub failure ${f.code}`, { outcome: f.outcome });
        }
        if (this.hang.has(rpc)) await new Promise<void>((resolve) => this.#held.push(resolve));
        return fn(req, ctx);
      };
    const write = run('WriteKeyValue', async (req: pb.WriteKeyValueRequest__Output) => this.#write(req));
    const read = run('ReadKeyValue', async (req: pb.ReadKeyValueRequest__Output) => this.#read(req));
    const del = run('DeleteKeyValue', async (req: pb.DeleteKeyValueRequest__Output) => this.#delete(req));
    const pipe = pipeServer(async (member, payload, ctx) => {
      if (member === 'write') return ['write_ok', await write(payload, ctx)];
      if (member === 'read') return ['read_ok', await read(payload, ctx)];
      if (member === 'delete') return ['delete_ok', await del(payload, ctx)];
      throw new PairdbError('INVALID_REQUEST', `unknown member ${member}`);
    });
    const handlers: grpc.UntypedServiceImplementation = {
      Pipe: pipe,
      WriteKeyValue: unaryServer(write),
      ReadKeyValue: unaryServer(read),
      DeleteKeyValue: unaryServer(del),
      CreateTenant: unaryServer(run('CreateTenant', async (req: pb.CreateTenantRequest) => this.#createTenant(req))),
      GetTenant: unaryServer(run('GetTenant', async (req: pb.GetTenantRequest) => this.#getTenant(req.tenant_id!))),
      ListTenants: unaryServer(run('ListTenants', async (req: pb.ListTenantsRequest__Output) => this.#listTenants(req))),
      UpdateTenant: unaryServer(run('UpdateTenant', async (req: pb.UpdateTenantRequest__Output) => this.#updateTenant(req))),
      UpdateReplicationFactor: unaryServer(
        run('UpdateReplicationFactor', async (req: pb.UpdateReplicationFactorRequest__Output) => {
          const t = this.#tenant(req.tenant_id);
          const old = t.replication_factor!;
          t.replication_factor = req.new_replication_factor;
          return {
            tenant_id: req.tenant_id,
            old_replication_factor: old,
            new_replication_factor: req.new_replication_factor,
            migration_id: old === req.new_replication_factor ? '' : 'mig-0b8e4a52-6c1f-4e0a-9d7e-3f2a1c9b8d70',
            updated_at_ms: 1_740_821_400_000,
          };
        }),
      ),
      AddStorageNode: unaryServer(
        run('AddStorageNode', async (req: pb.AddStorageNodeRequest__Output) => ({
          node_id: req.node_id,
          migration_id: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e',
          message: 'node addition accepted',
          estimated_completion_ms: 0,
        })),
      ),
      RemoveStorageNode: unaryServer(
        run('RemoveStorageNode', async (req: pb.RemoveStorageNodeRequest__Output) => {
          if (req.node_id !== 'storage-1') throw new PairdbError('NODE_NOT_FOUND', 'no such node');
          return { node_id: req.node_id, migration_id: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1f', message: '', estimated_completion_ms: 0 };
        }),
      ),
      ListStorageNodes: unaryServer(run('ListStorageNodes', async () => ({ nodes: STUB_NODES }))),
      GetMigrationStatus: unaryServer(
        run('GetMigrationStatus', async (req: pb.GetMigrationStatusRequest__Output) => {
          if (req.migration_id !== 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e') throw new PairdbError('MIGRATION_NOT_FOUND', 'unknown migration');
          return {
            migration_id: req.migration_id,
            type: 'NODE_ADDITION',
            node_id: 'storage-4',
            tenant_id: '',
            status: 'MIGRATION_IN_PROGRESS',
            progress: { keys_migrated: 1, total_keys: 3, percentage: 0 },
            started_at_ms: 1_740_821_462_114,
            estimated_completion_ms: 0,
            completed_at_ms: 0,
            error_message: '',
          };
        }),
      ),
      ClusterStatus: unaryServer(
        run('ClusterStatus', async () => ({
          nodes: STUB_NODES,
          max_replication_factor: 3,
          tenant_count: this.tenants.size,
          migrations_pending: 0,
        })),
      ),
    };
    this.#server = createServer('CoordinatorService', handlers, () => 'SERVING');
    this.port = await bindServer(this.#server, '127.0.0.1', port);
  }

  async stop(): Promise<void> {
    if (this.#server) await shutdownServer(this.#server, 500);
    this.#server = undefined;
  }

  /** Lets every held call proceed. */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const r of held) r();
  }

  callsOf(rpc: string): Recorded[] {
    return this.calls.filter((c) => c.rpc === rpc);
  }

  #tenant(id: string): pb.Tenant {
    const t = this.tenants.get(id);
    if (!t) throw new PairdbError('TENANT_NOT_FOUND', `tenant ${id} not found`);
    return t;
  }

  #createTenant(req: pb.CreateTenantRequest): pb.TenantResponse {
    const id = req.tenant_id!;
    if (this.tenants.has(id)) throw new PairdbError('TENANT_EXISTS', `tenant ${id} exists`);
    const t: pb.Tenant = {
      tenant_id: id,
      replication_factor: req.replication_factor || 3,
      conflict_resolution: req.conflict_resolution === 'CONFLICT_RESOLUTION_SIBLINGS' ? 'CONFLICT_RESOLUTION_SIBLINGS' : 'CONFLICT_RESOLUTION_LWW',
      write_rate_per_min: req.write_rate_per_min ?? 0,
      read_rate_per_min: req.read_rate_per_min ?? 0,
      created_at_ms: 1_740_821_400_000,
      updated_at_ms: 1_740_821_400_000,
      version: 1,
    };
    this.tenants.set(id, t);
    return { tenant: t };
  }

  #getTenant(id: string): pb.TenantResponse {
    return { tenant: this.#tenant(id) };
  }

  #listTenants(req: pb.ListTenantsRequest__Output): pb.ListTenantsResponse {
    const ids = [...this.tenants.keys()].sort().filter((id) => id > req.cursor);
    const page = ids.slice(0, req.limit || 100);
    return {
      tenants: page.map((id) => this.tenants.get(id)!),
      next_cursor: ids.length > page.length ? page[page.length - 1]! : '',
    };
  }

  #updateTenant(req: pb.UpdateTenantRequest__Output): pb.TenantResponse {
    const t = this.#tenant(req.tenant_id);
    if (req.conflict_resolution !== undefined) t.conflict_resolution = req.conflict_resolution;
    if (req.write_rate_per_min !== undefined) t.write_rate_per_min = req.write_rate_per_min;
    if (req.read_rate_per_min !== undefined) t.read_rate_per_min = req.read_rate_per_min;
    t.version = Number(t.version) + 1;
    return { tenant: t };
  }

  #write(req: pb.WriteKeyValueRequest__Output): pb.WriteKeyValueResponse__Output {
    this.#tenant(req.tenant_id);
    const k = `${req.tenant_id}\u0000${req.key}`;
    const ik = `${k}\u0000${req.idempotency_key}`;
    const prev = this.idempotency.get(ik);
    if (prev) return { ...prev, is_duplicate: true };
    const counter = (this.data.get(k)?.counter ?? 0) + 1;
    this.data.set(k, { value: req.value, counter });
    const res: pb.WriteKeyValueResponse__Output = {
      key: req.key,
      idempotency_key: req.idempotency_key,
      vector_clock: { entries: [{ actor: 'coord-1', counter: String(counter) }] },
      replica_count: 2,
      consistency: req.consistency,
      is_duplicate: false,
      idempotency_bypassed: false,
    };
    this.idempotency.set(ik, res);
    return res;
  }

  #read(req: pb.ReadKeyValueRequest__Output): pb.ReadKeyValueResponse {
    this.#tenant(req.tenant_id);
    const s = this.data.get(`${req.tenant_id}\u0000${req.key}`);
    if (!s) throw new PairdbError('KEY_NOT_FOUND', 'key not found');
    return {
      key: req.key,
      value: s.value,
      vector_clock: { entries: [{ actor: 'coord-1', counter: s.counter }] },
      siblings: this.siblings.get(req.key) ?? [],
      replica_count: 2,
    };
  }

  #delete(req: pb.DeleteKeyValueRequest__Output): pb.DeleteKeyValueResponse {
    this.#tenant(req.tenant_id);
    const k = `${req.tenant_id}\u0000${req.key}`;
    const s = this.data.get(k);
    if (!s) throw new PairdbError('KEY_NOT_FOUND', 'key not found');
    this.data.delete(k);
    return { key: req.key, vector_clock: { entries: [{ actor: 'coord-1', counter: s.counter + 1 }] }, replica_count: 2 };
  }
}

const STUB_NODES: pb.StorageNodeInfo[] = [
  { node_id: 'storage-2', host: '127.0.0.1', port: 50053, state: 'NODE_STATE_NORMAL', liveness: 'LIVENESS_DOWN', status: 'down', virtual_nodes: 150, stats_known: false },
  { node_id: 'storage-1', host: '127.0.0.1', port: 50052, state: 'NODE_STATE_NORMAL', liveness: 'LIVENESS_ALIVE', status: 'normal', virtual_nodes: 150, keys_count: 50213, disk_usage_percent: 12.5, stats_known: true },
  { node_id: 'storage-0', host: '127.0.0.1', port: 50051, state: 'NODE_STATE_REMOVED', liveness: 'LIVENESS_DOWN', status: 'removed', virtual_nodes: 150, stats_known: false },
];
