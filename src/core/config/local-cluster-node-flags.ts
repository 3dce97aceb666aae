/**
 * Node.js flags for the daemons of a cluster that shares one machine (`pairdb up`, the cluster benchmark).
 *
 * V8 scavenges the young generation with helper threads. When more daemons than cores share a machine, those
 * helpers compete with the other daemons' main threads and a scavenge waits for threads that are not scheduled:
 * measured on the 2-core reference machine (1 gateway + 1 coordinator + 3 storage nodes at 64 concurrent puts),
 * put p99 fell from 29–34 ms to 22 ms with `--single-threaded-gc`, throughput unchanged within noise. A daemon
 * with a machine of its own keeps V8's defaults.
 */
export function localClusterNodeFlags(daemons: number, cores: number): string[] {
  return daemons > cores ? ['--single-threaded-gc'] : [];
}
