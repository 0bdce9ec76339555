/** Figures of a durable run: the processor and its bare store writes, run by run. */
import { atLeast, measured, ratioOf, type Figure } from '../lib/report';
import { p50, p99, type DriveResult } from './drive';

/** New connections are webhook-driven: the durable path serves push-mode hosts. */
export const NEW_CONNECTIONS = { mode: 'push' } as const;

export interface Paired {
  readonly processor: DriveResult[];
  readonly bare: DriveResult[];
}

/** Durable throughput figures from paired runs: the processor and its bare writes, run by run. */
export function durableFigures(prefix: string, where: string, runs: Paired, cpuTarget?: number): Figure[] {
  const cpuRate = (r: DriveResult) => r.events / r.cpuSeconds;
  const wallRate = (r: DriveResult) => r.events / r.seconds;
  const ratio = (of: (r: DriveResult) => number, invert: boolean) =>
    runs.processor.map((r, i) => (invert ? of(runs.bare[i]!) / of(r) : of(r) / of(runs.bare[i]!)));
  const figures: Figure[] = [];
  if (cpuTarget !== undefined) {
    const cpu = measured(`processor on ${where}`, 'events/s', runs.processor.map(cpuRate));
    figures.push({
      key: `${prefix}.throughput`,
      subject: cpu,
      baseline: measured('the same store writes, no machine', 'events/s', runs.bare.map(cpuRate)),
      ratio: ratioOf(ratio(cpuRate, true), 'the cost'),
      target: atLeast(cpu.value, cpuTarget, `≥ ${cpuTarget.toLocaleString('en-US')} events/s on one core`),
      note: 'per CPU-second of the process',
    });
  }
  figures.push(
    {
      key: `${prefix}.wall`,
      subject: measured(`processor on ${where}, wall clock`, 'events/s', runs.processor.map(wallRate)),
      baseline: measured('the same store writes, wall clock', 'events/s', runs.bare.map(wallRate)),
      ratio: ratioOf(ratio(wallRate, true), 'the time'),
    },
    {
      key: `${prefix}.p50`,
      subject: measured(`latency per event, p50 (${where})`, 'ms', runs.processor.map(p50)),
      baseline: measured('bare store writes, p50', 'ms', runs.bare.map(p50)),
      ratio: ratioOf(ratio(p50, false), 'the latency'),
    },
    {
      key: `${prefix}.p99`,
      subject: measured(`latency per event, p99 (${where})`, 'ms', runs.processor.map(p99)),
      baseline: measured('bare store writes, p99', 'ms', runs.bare.map(p99)),
      ratio: ratioOf(ratio(p99, false), 'the latency'),
    },
  );
  return figures;
}
