import { PairdbError } from '../errors.js';
import type * as pb from '../rpc/types.js';
import { type Clock, type ClockEntry, MAX_COUNTER, compareUtf8 } from './vector-clock.js';
import type { Version } from './version.js';

/**
 * Conversions between the wire messages (pairdb.v1.Version / VectorClock) and the model, validating what arrives
 * per storage-engine.md §1 (anything out of its limits is INVALID_REQUEST on every path).
 */

export function clockToWire(c: Clock): pb.VectorClock {
  return { entries: c.map((e) => ({ actor: e.actor, counter: e.counter })) };
}

/** Parses a wire clock: sorted, unique actors 1..128 bytes, counters 1..2^53-1 (0 entries are dropped). */
export function clockFromWire(w: pb.VectorClock__Output | null | undefined, maxEntries = 1000): Clock {
  const entries: ClockEntry[] = [];
  for (const e of w?.entries ?? []) {
    const counter = Number(e.counter);
    if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER) {
      throw new PairdbError('INVALID_REQUEST', `clock counter out of range for actor ${JSON.stringify(e.actor)}`);
    }
    const len = Buffer.byteLength(e.actor, 'utf8');
    if (len < 1 || len > 128) throw new PairdbError('INVALID_REQUEST', 'clock actor must be 1..128 bytes');
    if (counter > 0) entries.push({ actor: e.actor, counter });
  }
  if (entries.length > maxEntries) throw new PairdbError('INVALID_REQUEST', `clock has more than ${maxEntries} entries`);
  entries.sort((a, b) => compareUtf8(a.actor, b.actor));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.actor === entries[i - 1]!.actor) throw new PairdbError('INVALID_REQUEST', 'duplicate clock actor');
  }
  return entries;
}

export function versionToWire(v: Version): pb.Version {
  return {
    clock: clockToWire(v.clock),
    value: v.value,
    tombstone: v.tombstone,
    timestamp_ms: v.timestampMs,
    writer_id: v.writerId,
    write_id: v.writeId,
    lww: v.lww,
  };
}

const MAX_ENGINE_VALUE = 8 * 1024 * 1024;

export function versionFromWire(w: pb.Version__Output): Version {
  const clock = clockFromWire(w.clock);
  if (clock.length === 0) throw new PairdbError('INVALID_REQUEST', 'a version needs a non-empty clock');
  const writerLen = Buffer.byteLength(w.writer_id, 'utf8');
  if (writerLen < 1 || writerLen > 128) throw new PairdbError('INVALID_REQUEST', 'writer_id must be 1..128 bytes');
  if (w.write_id.length > 255) throw new PairdbError('INVALID_REQUEST', 'write_id longer than 255 bytes');
  if (w.tombstone && w.value.length > 0) throw new PairdbError('INVALID_REQUEST', 'a tombstone carries no value');
  if (w.value.length > MAX_ENGINE_VALUE) throw new PairdbError('INVALID_REQUEST', 'value above the 8 MiB engine limit');
  const timestampMs = Number(w.timestamp_ms);
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new PairdbError('INVALID_REQUEST', 'bad timestamp_ms');
  return {
    clock,
    value: w.value,
    tombstone: w.tombstone,
    lww: w.lww,
    timestampMs,
    writerId: w.writer_id,
    writeId: w.write_id,
  };
}
