import { describe, expect, it } from 'vitest';
import { decodePathParam, matchRoute, splitTarget } from '../../../src/core/http/router.js';
import { PairdbError } from '../../../src/core/errors.js';

describe('matchRoute', () => {
  it('matches every listed path exactly', () => {
    const cases: Array<[string, string, string, string | undefined]> = [
      ['GET', '/health', 'health', undefined],
      ['HEAD', '/ready', 'ready', undefined],
      ['GET', '/metrics', 'metrics', undefined],
      ['POST', '/v1/key-value', 'kv', undefined],
      ['GET', '/v1/tenants', 'tenants', undefined],
      ['GET', '/v1/tenants/acme', 'tenant', 'acme'],
      ['PATCH', '/v1/tenants/acme', 'tenant', 'acme'],
      ['PUT', '/v1/tenants/acme/replication-factor', 'tenant_rf', 'acme'],
      ['GET', '/v1/tenants/replication-factor', 'tenant', 'replication-factor'],
      ['POST', '/v1/admin/storage-nodes', 'nodes', undefined],
      ['DELETE', '/v1/admin/storage-nodes/storage-4', 'node', 'storage-4'],
      ['GET', '/v1/admin/migrations/mig-1', 'migration', 'mig-1'],
      ['GET', '/v1/admin/cluster', 'cluster', undefined],
    ];
    for (const [method, path, name, param] of cases) {
      const m = matchRoute(method, path);
      expect(m.kind, `${method} ${path}`).toBe('ok');
      if (m.kind === 'ok') {
        expect(m.route.name).toBe(name);
        expect(m.param).toBe(param);
      }
    }
  });

  it('answers not_found for trailing slashes, empty segments, case and unlisted paths', () => {
    for (const path of [
      '/v1/key-value/',
      '/V1/key-value',
      '/v1/Key-Value',
      '/health/',
      '//health',
      '/v1/tenants/',
      '/v1/tenants//replication-factor',
      '/v1/tenants/a/b',
      '/v1/tenants/a/replication-factor/',
      '/v1/admin/storage-nodes/',
      '/v1/admin/migrations/a/b',
      '/v1',
      '/',
      '',
    ]) {
      expect(matchRoute('GET', path).kind, path).toBe('not_found');
    }
  });

  it('answers method_not_allowed with Allow in GET, HEAD, POST, PUT, PATCH, DELETE order', () => {
    const allow = (method: string, path: string): string | undefined => {
      const m = matchRoute(method, path);
      return m.kind === 'method_not_allowed' ? m.route.allow : undefined;
    };
    expect(allow('PUT', '/v1/key-value')).toBe('GET, POST, DELETE');
    expect(allow('HEAD', '/v1/key-value')).toBe('GET, POST, DELETE');
    expect(allow('POST', '/health')).toBe('GET, HEAD');
    expect(allow('HEAD', '/metrics')).toBe('GET');
    expect(allow('DELETE', '/v1/tenants/x')).toBe('GET, PATCH');
    expect(allow('OPTIONS', '/v1/tenants')).toBe('GET, POST');
    expect(allow('GET', '/v1/tenants/x/replication-factor')).toBe('PUT');
    expect(allow('get', '/health')).toBe('GET, HEAD');
  });
});

describe('splitTarget', () => {
  it('splits path and raw query', () => {
    expect(splitTarget('/v1/key-value?tenant_id=a&key=b')).toEqual({ path: '/v1/key-value', query: 'tenant_id=a&key=b' });
    expect(splitTarget('/health')).toEqual({ path: '/health', query: undefined });
    expect(splitTarget('/health?')).toEqual({ path: '/health', query: '' });
  });

  it('accepts absolute-form targets', () => {
    expect(splitTarget('http://example.com/v1/tenants?limit=1')).toEqual({ path: '/v1/tenants', query: 'limit=1' });
    expect(splitTarget('http://example.com')).toEqual({ path: '/', query: undefined });
  });
});

describe('decodePathParam', () => {
  it('percent-decodes and rejects malformed escapes with INVALID_REQUEST', () => {
    expect(decodePathParam('a%2Db')).toBe('a-b');
    expect(decodePathParam('plain')).toBe('plain');
    for (const bad of ['%zz', '%E0%A4', '%']) {
      try {
        decodePathParam(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect((e as PairdbError).code).toBe('INVALID_REQUEST');
      }
    }
  });
});
