import type {
  DeleteBody,
  GetBody,
  MigrationBody,
  NodeChangeBody,
  NodeListBody,
  PutBody,
  ReplicationChangeBody,
  TenantBody,
  TenantListBody,
} from '../../core/client/api-types.js';
import type { StatusView } from '../../core/client/status-view.js';
import { JsonPrinter, NdjsonPrinter } from './json.js';
import { SimplePrinter } from './simple.js';
import { TablePrinter } from './table.js';

/** `pairdb version -o json` (cli-and-ops.md §2). */
export interface VersionInfo {
  version: string;
  node: string;
  api: 'pairdb.v1';
  sstable_format: 1;
}

/** The readiness object of `pairdb up -o json` (cli-and-ops.md §2.1). */
export interface UpReadiness {
  gateway_url: string;
  coordinator: string;
  storage: { node_id: string; address: string }[];
  tenant: string | null;
  data_dir: string;
}

/** What the human summary of `pairdb up` adds to the readiness object. */
export interface UpDisplay {
  dataDirShown: string;
  newCluster: boolean;
  storageGrpcPorts: number[];
  storageAdminPorts: number[];
  coordinatorAdminPort: number;
  gatewayAdminPort: number;
  /** Set when `up` created the tenant on this run. */
  tenantCreated: { id: string; rf: number } | null;
  logsDirShown: string;
}

/** Where a printer writes: data to stdout, notes (stderr, suppressed by -q) through `note`. */
export interface PrinterIO {
  stdout: { write(chunk: string): unknown };
  note(message: string): void;
  color: boolean;
  /** stdout is a terminal (legends and hints for people only). */
  tty: boolean;
}

/** One method per response type; one class per `-o` format (style guide "Printers"). */
export interface Printer {
  put(body: PutBody): void;
  get(body: GetBody): void;
  delete(body: DeleteBody): void;
  tenant(body: TenantBody): void;
  tenantList(body: TenantListBody): void;
  replicationChange(body: ReplicationChangeBody): void;
  nodeList(body: NodeListBody): void;
  nodeChange(body: NodeChangeBody): void;
  migration(body: MigrationBody): void;
  status(view: StatusView): void;
  version(info: VersionInfo): void;
  up(readiness: UpReadiness, display: UpDisplay): void;
}

export function printerFor(format: 'table' | 'json' | 'ndjson' | 'simple', io: PrinterIO): Printer {
  switch (format) {
    case 'json':
      return new JsonPrinter(io);
    case 'ndjson':
      return new NdjsonPrinter(io);
    case 'simple':
      return new SimplePrinter(io);
    case 'table':
      return new TablePrinter(io);
  }
}
