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
import { statusJson, type StatusView } from '../../core/client/status-view.js';
import type { Printer, PrinterIO, UpReadiness, VersionInfo } from './printer.js';

/**
 * `-o json`: one 2-space-indented document per command; for API calls the exact response body (cli-and-ops.md §1),
 * so scripts see what curl would, member order included.
 */
export class JsonPrinter implements Printer {
  readonly #io: PrinterIO;

  constructor(io: PrinterIO) {
    this.#io = io;
  }

  #doc(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  put(body: PutBody): void {
    this.#doc(body);
  }
  get(body: GetBody): void {
    this.#doc(body);
  }
  delete(body: DeleteBody): void {
    this.#doc(body);
  }
  tenant(body: TenantBody): void {
    this.#doc(body);
  }
  tenantList(body: TenantListBody): void {
    this.#doc(body);
  }
  replicationChange(body: ReplicationChangeBody): void {
    this.#doc(body);
  }
  nodeList(body: NodeListBody): void {
    this.#doc(body);
  }
  nodeChange(body: NodeChangeBody): void {
    this.#doc(body);
  }
  migration(body: MigrationBody): void {
    this.#doc(body);
  }
  status(view: StatusView): void {
    this.#doc(statusJson(view));
  }
  version(info: VersionInfo): void {
    this.#doc(info);
  }
  up(readiness: UpReadiness): void {
    this.#doc(readiness);
  }
}

/** `-o ndjson`: one compact object per item (a list prints its items, a single answer its body). */
export class NdjsonPrinter implements Printer {
  readonly #io: PrinterIO;

  constructor(io: PrinterIO) {
    this.#io = io;
  }

  #line(value: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  put(body: PutBody): void {
    this.#line(body);
  }
  get(body: GetBody): void {
    this.#line(body);
  }
  delete(body: DeleteBody): void {
    this.#line(body);
  }
  tenant(body: TenantBody): void {
    this.#line(body);
  }
  tenantList(body: TenantListBody): void {
    for (const t of body.tenants) this.#line(t);
  }
  replicationChange(body: ReplicationChangeBody): void {
    this.#line(body);
  }
  nodeList(body: NodeListBody): void {
    for (const n of body.nodes) this.#line(n);
  }
  nodeChange(body: NodeChangeBody): void {
    this.#line(body);
  }
  migration(body: MigrationBody): void {
    this.#line(body);
  }
  status(view: StatusView): void {
    for (const n of statusJson(view).nodes) this.#line(n);
  }
  version(info: VersionInfo): void {
    this.#line(info);
  }
  up(readiness: UpReadiness): void {
    this.#line(readiness);
  }
}
