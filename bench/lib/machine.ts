/** The machine a report was measured on: absolute figures mean little without it. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { MachineInfo } from './report';

function packageVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // BENCHMARKS.md is the report's own output: editing its prose does not change what was measured.
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)BENCHMARKS.md'], { encoding: 'utf8' });
    const dirty = status.trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

export function describeMachine(loadAverageStart: readonly number[]): MachineInfo {
  const cpus = os.cpus();
  const versions: Record<string, string> = {};
  for (const name of ['xstate', 'zod', 'better-sqlite3', 'pg']) {
    const version = packageVersion(name);
    if (version) versions[name] = version;
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageStart,
    loadAverageEnd: loadAverage(),
    versions,
    commit: commit(),
  };
}
