import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
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
import { cellValue, clockText, formatBytes, formatPercent, limitText } from './format.js';
import type { Printer, PrinterIO, UpDisplay, UpReadiness, VersionInfo } from './printer.js';

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

/** A borderless, two-space-separated table (nodetool/kubectl style); trailing blanks trimmed. */
export function renderTable(head: string[], rows: (string | number)[][], chalk: ChalkInstance): string {
  const t = new Table({
    head: head.map((h) => chalk.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
  });
  for (const r of rows) t.push(r.map(String));
  return `${t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')}\n`;
}

/** `[50052, 50053, 50054]` → `50052-50054` (the ports `up` hands out are contiguous). */
function portRange(ports: number[]): string {
  if (ports.length === 0) return '-';
  return ports.length === 1 ? String(ports[0]) : `${ports[0]}-${ports[ports.length - 1]}`;
}

/** `-o table`: for humans on a terminal; columns may change between versions (cli-and-ops.md §1). */
export class TablePrinter implements Printer {
  readonly #io: PrinterIO;
  readonly #chalk: ChalkInstance;

  constructor(io: PrinterIO) {
    this.#io = io;
    this.#chalk = new Chalk({ level: io.color ? 1 : 0 });
  }

  #table(head: string[], rows: (string | number)[][]): void {
    this.#io.stdout.write(renderTable(head, rows, this.#chalk));
  }

  put(b: PutBody): void {
    this.#table(
      ['KEY', 'VECTOR CLOCK', 'REPLICAS', 'CONSISTENCY', 'DUPLICATE'],
      [[b.key, clockText(b.vector_clock), b.replica_count, b.consistency, b.is_duplicate ? 'yes' : 'no']],
    );
  }

  get(b: GetBody): void {
    if (!b.siblings || b.siblings.length < 2) {
      this.#table(['KEY', 'VALUE', 'VECTOR CLOCK'], [[b.key, cellValue(b.value), clockText(b.vector_clock)]]);
      return;
    }
    this.#table(
      ['KEY', 'VALUE', 'VECTOR CLOCK'],
      b.siblings.map((s) => [b.key, s.deleted ? this.#chalk.dim('(deleted)') : cellValue(s.value), clockText(s.vector_clock)]),
    );
    this.#io.note(`note: ${b.siblings.length} siblings; write back with --context '${clockText(b.vector_clock)}' to resolve`);
  }

  delete(b: DeleteBody): void {
    this.#table(['KEY', 'VECTOR CLOCK', 'REPLICAS'], [[b.key, clockText(b.vector_clock), b.replica_count]]);
  }

  #tenantRows(ts: TenantJson[]): void {
    this.#table(
      ['TENANT', 'RF', 'CONFLICT', 'WRITE/MIN', 'READ/MIN', 'CREATED'],
      ts.map((t) => [
        t.tenant_id,
        t.replication_factor,
        t.conflict_resolution,
        limitText(t.rate_limits.writes_per_minute),
        limitText(t.rate_limits.reads_per_minute),
        t.created_at,
      ]),
    );
  }

  tenant(b: TenantBody): void {
    this.#tenantRows([b]);
  }

  tenantList(b: TenantListBody): void {
    this.#tenantRows(b.tenants);
    if (b.next_cursor) this.#io.note(`note: more tenants; continue with --cursor ${b.next_cursor}`);
  }

  replicationChange(b: ReplicationChangeBody): void {
    this.#table(
      ['TENANT', 'OLD RF', 'NEW RF', 'MIGRATION'],
      [[b.tenant_id, b.old_replication_factor, b.new_replication_factor, b.migration_id ?? '(unchanged)']],
    );
  }

  nodeList(b: NodeListBody): void {
    this.#table(
      ['NODE', 'ADDRESS', 'STATE', 'VNODES', 'KEYS', 'DISK%'],
      b.nodes.map((n) => [
        n.node_id,
        `${n.host}:${n.port}`,
        n.status === 'normal' ? this.#chalk.green(n.status) : this.#chalk.yellow(n.status),
        n.virtual_nodes,
        n.keys_count ?? '?',
        n.disk_usage_percent === null ? '?' : `${n.disk_usage_percent.toFixed(1)}%`,
      ]),
    );
  }

  nodeChange(b: NodeChangeBody): void {
    this.#table(['NODE', 'MIGRATION', 'MESSAGE'], [[b.node_id, b.migration_id, b.message]]);
  }

  migration(b: MigrationBody): void {
    const status = b.migration_status;
    const painted = status === 'completed' ? this.#chalk.green(status) : status === 'in_progress' || status === 'pending' ? this.#chalk.yellow(status) : this.#chalk.red(status);
    this.#table(
      ['MIGRATION', 'TYPE', 'TARGET', 'STATUS', 'PROGRESS', 'KEYS', 'STARTED', 'COMPLETED'],
      [[b.migration_id, b.type, b.node_id ?? b.tenant_id ?? '', painted, `${b.progress.percentage}%`, `${b.progress.keys_migrated}/${b.progress.total_keys}`, b.started_at ?? '-', b.completed_at ?? '-']],
    );
    if (b.error) this.#io.note(`Note: ${b.error}`);
  }

  status(view: StatusView): void {
    const up = view.nodes.filter((n) => n.up).length;
    const tokens = view.nodes.reduce((s, n) => s + n.tokens, 0);
    const m = view.migration;
    const migration = m ? `${m.type} ${m.node_id ?? m.tenant_id ?? ''} ${m.migration_status} ${m.percentage}%`.replace(/\s+/g, ' ') : 'none';
    const out = this.#io.stdout;
    out.write(
      `Cluster: ${view.nodes.length} storage nodes (${up} up), ${tokens} tokens, metadata ${view.metadataBackend}, migration: ${migration}\n`,
    );
    // The legend helps people, not scripts (style guide: legend only on a TTY).
    if (this.#io.tty) out.write('Status=Up/Suspect/Down  State=Normal/Bootstrapping/Leaving/Failed\n');
    this.#table(
      ['ST', 'NODE', 'ADDRESS', 'LOAD', 'OWNS', 'TOKENS', 'HINTS'],
      view.nodes.map((n) => {
        const code = statusCode(view.liveness.get(n.node_id) ?? (n.up ? 'up' : 'down'), n.state);
        const painted = code === 'UN' ? this.#chalk.green(code) : code.startsWith('D') ? this.#chalk.red(code) : this.#chalk.yellow(code);
        return [painted, n.node_id, n.address, formatBytes(n.load_bytes), formatPercent(n.owns), n.tokens, n.hints_pending];
      }),
    );
    for (const note of view.notes) this.#io.note(`Note: ${note}`);
  }

  version(info: VersionInfo): void {
    this.#io.stdout.write(`pairdb ${info.version} (node ${info.node}, api ${info.api}, sstable format ${info.sstable_format})\n`);
  }

  up(r: UpReadiness, d: UpDisplay): void {
    const ok = this.#chalk.green('ready');
    const ids = r.storage.map((s) => s.node_id).join(',');
    const rows: string[][] = [
      ['storage', ids, `127.0.0.1:${portRange(d.storageGrpcPorts)}`, `admin :${portRange(d.storageAdminPorts)}`, ok],
      ['coordinator', 'c1', r.coordinator, `admin :${d.coordinatorAdminPort}`, ok],
      ['gateway', '', r.gateway_url, `admin :${d.gatewayAdminPort}`, ok],
    ];
    const t = new Table({ chars: NO_BORDER, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 } });
    for (const row of rows) t.push(row);
    const body = t
      .toString()
      .split('\n')
      .map((l) => `  ${l.trimEnd()}`)
      .join('\n');
    const lines = [
      `pairdb up: data dir ${d.dataDirShown} (${d.newCluster ? 'new cluster' : 'existing cluster'}), ${r.storage.length} storage node${r.storage.length === 1 ? '' : 's'}`,
      body,
    ];
    if (d.tenantCreated) lines.push(`  tenant ${d.tenantCreated.id} created (replication factor ${d.tenantCreated.rf})`);
    // Non-default ports need --url in the suggestion, or it would talk to another (or no) gateway.
    const t0 = `${r.gateway_url === 'http://127.0.0.1:8080' ? '' : `--url ${r.gateway_url} `}--tenant ${r.tenant ?? '<tenant>'}`;
    lines.push(`Try:  npx pairdb put ${t0} hello world && npx pairdb get ${t0} hello`);
    lines.push(`Logs: ${d.logsDirShown} — Ctrl-C stops the cluster`);
    this.#io.stdout.write(`${lines.join('\n')}\n`);
  }
}
