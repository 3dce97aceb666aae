import type {
  DeleteBody,
  GetBody,
  MigrationBody,
  NodeChangeBody,
  NodeListBody,
  PutBody,
  ReplicationChangeBody,
  TenantBody,
  TenantJson,
  TenantListBody,
} from '../../core/client/api-types.js';
import { statusCode, type StatusView } from '../../core/client/status-view.js';
import { formatPercent, limitText, rawValue } from './format.js';
import type { Printer, PrinterIO, UpReadiness, VersionInfo } from './printer.js';

/** `-o simple`: tab-separated fields, no header, no colour; `get` prints the bare value (cli-and-ops.md §1). */
export class SimplePrinter implements Printer {
  readonly #io: PrinterIO;

  constructor(io: PrinterIO) {
    this.#io = io;
  }

  #row(...fields: (string | number)[]): void {
    this.#io.stdout.write(`${fields.join('\t')}\n`);
  }

  put(_body: PutBody): void {
    this.#row('OK');
  }

  get(body: GetBody): void {
    if (!body.siblings || body.siblings.length < 2) {
      this.#row(rawValue(body.value));
      return;
    }
    // One live sibling per line, highest LWW rank first (the API's order); tombstones only show in the note.
    const live = body.siblings.filter((s) => !s.deleted);
    for (const s of live) this.#row(rawValue(s.value));
    const deleted = body.siblings.length - live.length;
    this.#io.note(`note: ${body.siblings.length} siblings${deleted ? ` (${deleted} deleted)` : ''}`);
  }

  delete(_body: DeleteBody): void {
    this.#row('OK');
  }

  #tenantRow(t: TenantJson): void {
    this.#row(
      t.tenant_id,
      t.replication_factor,
      t.conflict_resolution,
      limitText(t.rate_limits.writes_per_minute),
      limitText(t.rate_limits.reads_per_minute),
      t.created_at,
    );
  }

  tenant(body: TenantBody): void {
    this.#tenantRow(body);
  }

  tenantList(body: TenantListBody): void {
    for (const t of body.tenants) this.#tenantRow(t);
  }

  replicationChange(body: ReplicationChangeBody): void {
    this.#row(body.migration_id ?? 'unchanged');
  }

  nodeList(body: NodeListBody): void {
    for (const n of body.nodes) {
      this.#row(
        n.node_id,
        `${n.host}:${n.port}`,
        n.status,
        n.virtual_nodes,
        n.keys_count ?? '?',
        n.disk_usage_percent ?? '?',
      );
    }
  }

  nodeChange(body: NodeChangeBody): void {
    this.#row(body.migration_id);
  }

  migration(b: MigrationBody): void {
    this.#row(b.migration_id, b.type, b.node_id ?? b.tenant_id ?? '', b.migration_status, b.progress.percentage, b.progress.keys_migrated, b.progress.total_keys);
  }

  status(view: StatusView): void {
    for (const n of view.nodes) {
      this.#row(
        statusCode(view.liveness.get(n.node_id) ?? (n.up ? 'up' : 'down'), n.state),
        n.node_id,
        n.address,
        n.load_bytes ?? '?',
        formatPercent(n.owns),
        n.tokens,
        n.hints_pending,
      );
    }
  }

  version(info: VersionInfo): void {
    this.#row(info.version);
  }

  up(r: UpReadiness): void {
    this.#row('gateway', r.gateway_url);
    this.#row('coordinator', r.coordinator);
    for (const s of r.storage) this.#row('storage', s.node_id, s.address);
    if (r.tenant) this.#row('tenant', r.tenant);
    this.#row('data_dir', r.data_dir);
  }
}
