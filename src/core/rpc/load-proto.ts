import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as PairdbProto } from './generated/pairdb.js';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';

/** Options fixed by rpc.md §1: bytes as Buffer, 64-bit integers as decimal strings. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [fileURLToPath(new URL('./proto', import.meta.url))],
};

let cached: { pairdb: PairdbProto; health: HealthProto } | undefined;

/** Loads pairdb.v1 and grpc.health.v1 once per process (parsing the .proto costs ~20 ms). */
export function loadProtos(): { pairdb: PairdbProto; health: HealthProto } {
  if (!cached) {
    const defs = protoLoader.loadSync(['pairdb/v1/pairdb.proto', 'grpc/health/v1/health.proto'], LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(defs) as unknown as PairdbProto & HealthProto;
    cached = { pairdb: root, health: root };
  }
  return cached;
}

/** Channel options of rpc.md §4 for clients. */
export const CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 96 * 1024 * 1024,
  'grpc.max_send_message_length': 96 * 1024 * 1024,
  // A restarted peer is used again within seconds (cluster.md §10: Health probes every 2 s), not after the default
  // reconnect backoff of up to 120 s; a failed attempt on loopback or a LAN costs next to nothing.
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** Server options of rpc.md §4. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.max_concurrent_streams': 1000,
  'grpc.max_receive_message_length': 96 * 1024 * 1024,
  'grpc.max_send_message_length': 96 * 1024 * 1024,
};
