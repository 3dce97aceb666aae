import { PairdbError } from '../errors.js';

/**
 * The route table of http-api.md: exact, case-sensitive paths (§1.1). A trailing slash, an empty segment or any
 * unlisted path is 404 ROUTE_NOT_FOUND; a listed path with another method is 405 with `Allow` in the order
 * GET, HEAD, POST, PUT, PATCH, DELETE. HEAD exists only on /health and /ready.
 */

export type RouteName =
  | 'health'
  | 'ready'
  | 'metrics'
  | 'kv'
  | 'tenants'
  | 'tenant'
  | 'tenant_rf'
  | 'nodes'
  | 'node'
  | 'migration'
  | 'cluster';

export interface RouteDef {
  readonly name: RouteName;
  /** The metrics label (§9): the template, never the concrete id. */
  readonly template: string;
  readonly methods: ReadonlySet<string>;
  /** Value of the `Allow` header. */
  readonly allow: string;
  /** Root routes ignore the query and are never authenticated or rate limited. */
  readonly root: boolean;
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function route(name: RouteName, template: string, methods: readonly string[], root = false): RouteDef {
  const ordered = METHOD_ORDER.filter((m) => methods.includes(m));
  return { name, template, methods: new Set(ordered), allow: ordered.join(', '), root };
}

export const ROUTES = {
  health: route('health', '/health', ['GET', 'HEAD'], true),
  ready: route('ready', '/ready', ['GET', 'HEAD'], true),
  metrics: route('metrics', '/metrics', ['GET'], true),
  kv: route('kv', '/v1/key-value', ['GET', 'POST', 'DELETE']),
  tenants: route('tenants', '/v1/tenants', ['GET', 'POST']),
  tenant: route('tenant', '/v1/tenants/{tenant_id}', ['GET', 'PATCH']),
  tenant_rf: route('tenant_rf', '/v1/tenants/{tenant_id}/replication-factor', ['PUT']),
  nodes: route('nodes', '/v1/admin/storage-nodes', ['GET', 'POST']),
  node: route('node', '/v1/admin/storage-nodes/{node_id}', ['DELETE']),
  migration: route('migration', '/v1/admin/migrations/{migration_id}', ['GET']),
  cluster: route('cluster', '/v1/admin/cluster', ['GET']),
} as const satisfies Record<RouteName, RouteDef>;

const STATIC = new Map<string, RouteDef>([
  ['/health', ROUTES.health],
  ['/ready', ROUTES.ready],
  ['/metrics', ROUTES.metrics],
  ['/v1/key-value', ROUTES.kv],
  ['/v1/tenants', ROUTES.tenants],
  ['/v1/admin/storage-nodes', ROUTES.nodes],
  ['/v1/admin/cluster', ROUTES.cluster],
]);

const TENANT_PREFIX = '/v1/tenants/';
const RF_SUFFIX = '/replication-factor';
const NODE_PREFIX = '/v1/admin/storage-nodes/';
const MIGRATION_PREFIX = '/v1/admin/migrations/';

export type RouteMatch =
  | { readonly kind: 'ok'; readonly route: RouteDef; /** still percent-encoded */ readonly param: string | undefined }
  | { readonly kind: 'method_not_allowed'; readonly route: RouteDef }
  | { readonly kind: 'not_found' };

const NOT_FOUND: RouteMatch = { kind: 'not_found' };

/** Finds the route of `path` (no query) for `method`. */
export function matchRoute(method: string, path: string): RouteMatch {
  let def = STATIC.get(path);
  let param: string | undefined;
  if (def === undefined) {
    const found = matchParam(path);
    if (found === undefined) return NOT_FOUND;
    [def, param] = found;
  }
  if (!def.methods.has(method)) return { kind: 'method_not_allowed', route: def };
  return { kind: 'ok', route: def, param };
}

/** One non-empty segment after `prefix` (no further slash), or undefined. */
function segmentAfter(path: string, prefix: string, end = path.length): string | undefined {
  if (end <= prefix.length || !path.startsWith(prefix)) return undefined;
  const seg = path.slice(prefix.length, end);
  return seg.includes('/') ? undefined : seg;
}

function matchParam(path: string): [RouteDef, string] | undefined {
  if (path.startsWith(TENANT_PREFIX)) {
    if (path.endsWith(RF_SUFFIX)) {
      const seg = segmentAfter(path, TENANT_PREFIX, path.length - RF_SUFFIX.length);
      if (seg !== undefined) return [ROUTES.tenant_rf, seg];
    }
    const seg = segmentAfter(path, TENANT_PREFIX);
    return seg === undefined ? undefined : [ROUTES.tenant, seg];
  }
  const node = segmentAfter(path, NODE_PREFIX);
  if (node !== undefined) return [ROUTES.node, node];
  const mig = segmentAfter(path, MIGRATION_PREFIX);
  if (mig !== undefined) return [ROUTES.migration, mig];
  return undefined;
}

/** Splits a request target into path and raw query (undefined when there is no `?`). Absolute-form is accepted. */
export function splitTarget(url: string): { path: string; query: string | undefined } {
  let target = url;
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    // absolute-form (RFC 9112 §3.2.2): drop scheme and authority
    const scheme = target.indexOf('://');
    if (scheme > 0) {
      const slash = target.indexOf('/', scheme + 3);
      const q = target.indexOf('?', scheme + 3);
      target = slash < 0 || (q >= 0 && q < slash) ? '/' + (q >= 0 ? target.slice(q) : '') : target.slice(slash);
    }
  }
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: undefined } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Percent-decodes a path parameter (§1.1); malformed escapes or invalid UTF-8 → 400. */
export function decodePathParam(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new PairdbError('INVALID_REQUEST', 'malformed percent-encoding in the path');
  }
}
