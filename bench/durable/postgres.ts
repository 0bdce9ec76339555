/**
 * The PostgreSQL part of the durable benchmark: four worker processes (four service instances),
 * each with its own pool and its share of the connections, against the same store writes replayed
 * by four bare writers. The server is PLUGGY_LIFECYCLE_PG_URL, or a throwaway one started with
 * scripts/start-postgres.sh on a port of the bench's own.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DurableEvent } from '../../src/durable/processor';
import { openPostgresStore } from '../../src/stores/postgres';
import type { Mode } from '../lib/report';
import { sized, type SuiteOutput } from '../lib/suite';
import { recordWrites, type EventWrites } from './bare';
import type { DriveResult } from './drive';
import type { WorkerJob, WorkerReport } from './pg-worker';
import { durableFigures, NEW_CONNECTIONS, type Paired } from './figures';
import { fleetEvents } from './stream';

const ROOT = path.resolve(__dirname, '..', '..');
export const WORKERS = 4;
const BENCH_PORT = '55439';

/** The server to use, and how to stop it when the bench started it. */
export function postgresServer(mode: Mode): { url: string; stop: () => void } | { unavailable: string } {
  const given = process.env.PLUGGY_LIFECYCLE_PG_URL;
  if (given) return { url: given, stop: () => {} };
  // Starting a server (and four workers) does not fit the one-minute smoke run.
  if (mode === 'quick') return { unavailable: 'the quick run starts no PostgreSQL server: set PLUGGY_LIFECYCLE_PG_URL to include it' };
  const script = path.join(ROOT, 'scripts', 'start-postgres.sh');
  if (!existsSync(script)) return { unavailable: 'no PostgreSQL server: set PLUGGY_LIFECYCLE_PG_URL (scripts/start-postgres.sh is not here either)' };
  // A data directory of its own, removed with the server: a full run leaves nothing behind.
  const dir = mkdtempSync(path.join(tmpdir(), 'pluggy-lifecycle-bench-pgdata-'));
  const env = { ...process.env, PLUGGY_LIFECYCLE_PG_PORT: BENCH_PORT, PLUGGY_LIFECYCLE_PG_DB: 'pluggy_lifecycle_bench', PLUGGY_LIFECYCLE_PG_DIR: dir };
  const stop = () => {
    try {
      execFileSync('bash', [script, 'stop'], { env, stdio: 'ignore' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const url = execFileSync('bash', [script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { url, stop };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return { unavailable: `no PostgreSQL server: PLUGGY_LIFECYCLE_PG_URL is not set and scripts/start-postgres.sh failed (${stderr || String(error)})` };
  }
}

/** Runs one kind on `WORKERS` processes at once; answers the fleet's figures as one run. */
async function fleetRun(url: string, schema: string, kind: WorkerJob['kind'], shares: ReadonlyArray<ReadonlyArray<DurableEvent | EventWrites>>, concurrency: number, scratch: string): Promise<DriveResult> {
  const migrated = await openPostgresStore({ connectionString: url, schema });
  await migrated.close();
  const children = shares.map((items, index) => {
    const file = path.join(scratch, `${kind}-${index}.json`);
    const job: WorkerJob = { url, schema, kind, concurrency, items };
    writeFileSync(file, JSON.stringify(job));
    return fork(path.join(__dirname, 'pg-worker.ts'), [file], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  });
  const message = (child: ReturnType<typeof fork>, type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (received: Record<string, unknown>) => {
        if (received.type === type) resolve(received);
        else if (received.type === 'failed') reject(new Error(`a PostgreSQL worker failed: ${String(received.error)}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`a PostgreSQL worker exited (${code}) before "${type}"`)));
    });
  try {
    await Promise.all(children.map((child) => message(child, 'ready')));
    const done = children.map((child) => message(child, 'done'));
    for (const child of children) child.send({ type: 'go' });
    const reports = (await Promise.all(done)).map((received) => received.report as WorkerReport);
    const startedAt = Math.min(...reports.map((report) => report.startedAt));
    const endedAt = Math.max(...reports.map((report) => report.endedAt));
    return {
      events: reports.reduce((sum, report) => sum + report.events, 0),
      seconds: (endedAt - startedAt) / 1000,
      cpuSeconds: reports.reduce((sum, report) => sum + report.cpuSeconds, 0),
      latenciesMs: Float64Array.from(reports.flatMap((report) => report.latenciesMs)),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: url, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

export async function runPostgres(mode: Mode, runs: number): Promise<SuiteOutput> {
  const server = postgresServer(mode);
  if ('unavailable' in server) return { figures: [], notes: [], params: {}, skipped: server.unavailable };
  const scratch = mkdtempSync(path.join(tmpdir(), 'pluggy-lifecycle-bench-pg-'));
  try {
    const connections = sized(mode, 200, 4_000);
    const count = connections * 10;
    const events = fleetEvents(connections, count);
    const writes = await recordWrites(events, { connections: NEW_CONNECTIONS });
    // Each worker owns a quarter of the connections, as a host routing by item id would.
    const worker = (itemId: string) => Number.parseInt(itemId.slice(-12), 16) % WORKERS;
    const share = <T extends { itemId: string }>(items: readonly T[]) =>
      Array.from({ length: WORKERS }, (_, index) => items.filter((item) => worker(item.itemId) === index));
    const eventShares = share(events);
    const writeShares = share(writes);
    const concurrency = 16;
    const paired: Paired = { processor: [], bare: [] };
    for (let run = 0; run < runs; run++) {
      const schema = `bench_${process.pid}_${run}`;
      const order: Array<'processor' | 'bare'> = run % 2 === 0 ? ['processor', 'bare'] : ['bare', 'processor'];
      for (const kind of order) {
        const result = await fleetRun(server.url, `${schema}_${kind}`, kind, kind === 'processor' ? eventShares : writeShares, concurrency, scratch);
        paired[kind].push(result);
      }
    }
    const version = await serverVersion(server.url);
    return {
      figures: durableFigures('durable.postgres', `PostgreSQL, ${WORKERS} workers`, paired),
      notes: [
        `PostgreSQL ${version}: ${WORKERS} worker processes (service instances) with a pool of 4 each and ${concurrency} callers each, every worker owning a quarter of the ${connections.toLocaleString('en-US')} connections; ${count.toLocaleString('en-US')} events per run; a fresh schema every run. Throughput is all events over the time from the first worker's start to the last one's end; latencies are pooled over the workers.`,
        'The server runs on the same two cores as the workers, so the wall-clock figures include its share of the CPU.',
      ],
      params: { 'PostgreSQL connections': connections, 'PostgreSQL events per run': count, 'PostgreSQL runs': runs, workers: WORKERS },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    server.stop();
  }
}

async function serverVersion(url: string): Promise<string> {
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await pool.end();
  }
}
