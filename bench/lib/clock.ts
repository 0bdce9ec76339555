/** Wall-clock timing for the benchmarks: high resolution, monotonic. */

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function elapsedSeconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/** CPU time (user + system, every thread of the process) since `since`, in seconds. */
export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Forces a full collection when the process runs with `--expose-gc` (the bench always does). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  // Two passes: the first may only queue finalizers and weak references for the second.
  gc();
  gc();
}

/** Heap in use after a full collection, in bytes. */
export function settledHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}
