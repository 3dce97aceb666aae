/**
 * Ctrl-C in a client command that waits (repair, migration watch): the first SIGINT aborts the returned signal so
 * the command can stop cleanly and exit 130 (cli-and-ops.md §1); while it is armed, Node's default of dying at once
 * is off.
 */
export function interruptOnSigint(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', onSignal) };
}
