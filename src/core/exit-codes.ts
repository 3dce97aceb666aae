/** Process exit codes of every pairdb command (cli-and-ops.md §1, §2.2). */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  UNAVAILABLE: 5,
  AUTH: 6,
  CORRUPTION: 7,
  /** A storage node down longer than gc_grace refuses to rejoin with its data (cluster.md §2; docs/DECISIONS.md). */
  /** EX_IOERR: an fsync failed; the storage process stops (storage-engine.md §0). */
  IO_ERROR: 74,
  INTERRUPTED: 130,
} as const;
