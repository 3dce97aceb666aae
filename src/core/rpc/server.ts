import * as grpc from '@grpc/grpc-js';
import { PairdbError } from '../errors.js';
import { SERVER_OPTIONS, loadProtos } from './load-proto.js';
import { toServiceError } from './pipe.js';

/**
 * Builds a gRPC server for one pairDB service. Methods not given answer UNIMPLEMENTED (later issues build them),
 * and grpc.health.v1 is served for "" and the service name (rpc.md §7), driven by `servingStatus()`.
 */
export function createServer(
  service: 'CoordinatorService' | 'StorageService',
  handlers: grpc.UntypedServiceImplementation,
  servingStatus: () => 'SERVING' | 'NOT_SERVING',
): grpc.Server {
  const { pairdb, health } = loadProtos();
  const definition = pairdb.pairdb.v1[service].service;
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, def] of Object.entries(definition)) {
    impl[name] =
      handlers[name] ??
      ((call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
        const status = toServiceError(new PairdbError('UNIMPLEMENTED', `${service}.${name} is not implemented yet`));
        if (typeof callback === 'function') callback(status);
        else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', status);
        void def;
      });
  }
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(definition, impl);
  const fullName = `pairdb.v1.${service}`;
  server.addService(health.grpc.health.v1.Health.service, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const name = call.request.service;
      if (name !== '' && name !== fullName) {
        callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${name}` });
        return;
      }
      callback(null, { status: servingStatus() });
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
      call.write({ status: servingStatus() });
      call.end();
    },
  });
  return server;
}

/** Binds `host:port` (port 0 = any free port) and resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use|No address added/i.test(err.message);
        reject(
          new PairdbError(inUse ? 'ADDRESS_IN_USE' : 'INTERNAL_ERROR', `cannot listen on ${addr}: ${err.message}`, {
            cause: err,
          }),
        );
      } else resolve(bound);
    });
  });
}

/** Graceful shutdown (in-flight calls finish), forced after `timeoutMs`. */
export function shutdownServer(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
