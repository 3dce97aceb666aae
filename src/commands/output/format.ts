import type { VectorClockJson } from '../../core/client/api-types.js';

/** Small text helpers shared by the table and simple printers. */

/** `12992102` → `12.4 MiB` (binary units, one decimal, as nodetool). Unknown → `?`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A 0..1 fraction as `34.1%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** The clock as the compact JSON `--context` accepts back. */
export function clockText(clock: VectorClockJson | null | undefined): string {
  return JSON.stringify(clock ?? {});
}

/** A value for `simple`: a string raw, anything else as compact JSON (cli-and-ops.md §2.3). */
export function rawValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A value for a table cell: compact JSON (so `"1"` and `1` differ), shortened for the terminal. */
export function cellValue(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `null` limits mean "the gateway default". */
export function limitText(limit: number | null): string {
  return limit === null ? 'default' : String(limit);
}
