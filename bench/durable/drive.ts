/**
 * A closed loop: `concurrency` callers each submit an event and wait for it before submitting the
 * next, as the request handlers of a service would. It records each event's latency, the wall
 * time and the CPU time of the whole run.
 */
import { cpuSeconds, elapsedSeconds, nowNs } from '../lib/clock';
import { percentile } from '../lib/stats';

export interface DriveResult {
  readonly events: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Milliseconds from submitting each event to its resolution. */
  readonly latenciesMs: Float64Array;
}

export async function drive<T>(items: readonly T[], concurrency: number, submit: (item: T) => Promise<unknown>): Promise<DriveResult> {
  const latencies = new Float64Array(items.length);
  let next = 0;
  const cpu = process.cpuUsage();
  const start = nowNs();
  const caller = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      const submitted = nowNs();
      await submit(items[index]!);
      latencies[index] = Number(nowNs() - submitted) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, caller));
  return { events: items.length, seconds: elapsedSeconds(start), cpuSeconds: cpuSeconds(cpu), latenciesMs: latencies };
}

export const p50 = (result: DriveResult) => percentile(result.latenciesMs, 50);
export const p99 = (result: DriveResult) => percentile(result.latenciesMs, 99);
