#!/usr/bin/env node
/** The `pluggy-lifecycle` command line. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { InspectionEvent } from 'xstate';
import { z } from 'zod';
import { decide } from '../decision/decide';
import type { DriveMode } from '../machine/context';
import type { Clock } from '../runtime/clock';
import { runSchema, vocabularyField, type ParsingMode } from '../vocabulary/fields';
import { EXECUTION_STATUS_VOCABULARY, STATUS_VOCABULARY } from '../vocabulary/item';
import { checkSpec, writeSpec } from '../spec/generate';
import { ingestCommand } from './ingest';
import { replay } from './replay';
import { showCommand } from './show';

const USAGE = `Usage:
  pluggy-lifecycle decide --status STATUS --execution-status EXECUTION_STATUS [--open-finance] [--lenient]
      Prints the decision for one (status, executionStatus) pair as JSON.
  pluggy-lifecycle replay FILE.jsonl [--mode poll|push] [--open-finance] [--lenient]
      Runs a recorded sequence through one connection; prints one JSON line per input line.
      Lines: {"snapshot":{...}} {"webhook":{...}} {"reconnect":true} {"syncDone":{"accounts":N}}
             {"syncFailed":{"error":"..."}} {"fetchFailed":{"status":404}} {"advance":MS}
  pluggy-lifecycle ingest --store SQLITE_FILE|POSTGRES_URL FILE.jsonl [--mode poll|push] [--open-finance] [--lenient]
      Applies recorded events durably to a store (created and migrated when needed); replay's lines,
      each naming its item ("itemId", or the snapshot's id / the webhook's itemId), optionally with
      "eventId" and "at". Prints one JSON line per input line. Ingesting a file again applies nothing twice.
  pluggy-lifecycle show --store SQLITE_FILE|POSTGRES_URL [ITEM_ID] [--quarantine]
      Prints stored connections as JSON lines {itemId, state, phase, timers, ...}; --quarantine prints
      what was set aside (rejected input, unreadable rows) with the reason.
  pluggy-lifecycle spec [--check] [--out DIR]
      Regenerates the living spec in DIR (default docs/); --check only reports files that drifted (exit 1).
  pluggy-lifecycle inspect [--port N] [--host H] [--token T]
      Starts the self-hosted inspector (loopback only by default) and prints its URL.
  pluggy-lifecycle demo [--port N] [--connections N] [--speed X] [--no-sandbox]
      Starts the inspector and a simulated fleet living every scenario of the guide and of the
      statechart contract (time runs X times faster, default 20), and a group of connections that
      live against the local Pluggy sandbox over HTTP (one item per sandbox user, polled and
      pushed, on the same clock; needs pluggy-sdk). --no-sandbox runs the simulated fleet alone.
  pluggy-lifecycle help

Exit codes: 0 success; 1 invalid input (replay: some line was bad); 2 usage error.`;

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class UsageError extends Error {}

function decideCommand(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: 'string' },
      'execution-status': { type: 'string' },
      'open-finance': { type: 'boolean', default: false },
      lenient: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.status === undefined || values['execution-status'] === undefined) {
    throw new UsageError('decide needs --status and --execution-status');
  }
  const parsing: ParsingMode = values.lenient ? 'lenient' : 'strict';
  const schema = z.object({
    status: vocabularyField(STATUS_VOCABULARY, parsing),
    executionStatus: vocabularyField(EXECUTION_STATUS_VOCABULARY, parsing),
  });
  const parsed = runSchema(schema, 'decision input', { status: values.status, executionStatus: values['execution-status'] });
  if (!parsed.success) {
    io.err(parsed.error.message);
    return 1;
  }
  io.out(JSON.stringify(decide({ ...parsed.data, isOpenFinance: values['open-finance'] })));
  return 0;
}

function replayCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    options: {
      mode: { type: 'string', default: 'poll' },
      'open-finance': { type: 'boolean' },
      lenient: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('replay needs exactly one FILE.jsonl');
  if (values.mode !== 'poll' && values.mode !== 'push') throw new UsageError(`--mode must be poll or push, received ${values.mode}`);
  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    io.err(`cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`);
    return 1;
  }
  const outputs = replay(text.split(/\r?\n/), {
    mode: values.mode as DriveMode,
    parsing: values.lenient ? 'lenient' : 'strict',
    ...(values['open-finance'] !== undefined ? { isOpenFinance: values['open-finance'] } : {}),
  });
  for (const output of outputs) io.out(JSON.stringify(output));
  return outputs.some((output) => 'error' in output) ? 1 : 0;
}

async function specCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { check: { type: 'boolean', default: false }, out: { type: 'string', default: 'docs' } },
    strict: true,
  });
  const dir = values.out;
  if (values.check) {
    const drifts = await checkSpec(dir);
    for (const drift of drifts) io.err(`${join(dir, drift.path)}: ${drift.problem === 'missing' ? 'missing' : 'differs from what the code generates'}`);
    if (drifts.length > 0) {
      io.err(`the spec in ${dir}/ is stale: run \`npm run spec\` and commit the result`);
      return 1;
    }
    io.out(`the spec in ${dir}/ is up to date`);
    return 0;
  }
  for (const file of await writeSpec(dir)) io.out(`wrote ${file}`);
  return 0;
}

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a number >= 0, received ${text}`);
  return value;
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function inspectCommand(args: string[], io: Io, withFleet: boolean): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      ...(withFleet ? { connections: { type: 'string' }, speed: { type: 'string' }, 'no-sandbox': { type: 'boolean' } } : {}),
    },
    strict: true,
  });
  // Loaded here: only the inspector needs its optional dependencies (ws, elkjs).
  const { startInspectorServer } = await import('../../inspector/server');
  const port = positiveNumber('port', values.port as string | undefined, 4242);
  // Checked before anything starts: a usage error must not leave a server running.
  const speed = positiveNumber('speed', values.speed as string | undefined, 20);
  if (withFleet && speed === 0) throw new UsageError('--speed must be greater than 0, received 0');
  const { SCENARIOS } = await import('../demo/scenarios');
  const connections = positiveNumber('connections', values.connections as string | undefined, SCENARIOS.length * 3);
  let server: Awaited<ReturnType<typeof startInspectorServer>>;
  try {
    server = await startInspectorServer({
      port,
      ...(values.host ? { host: values.host as string } : {}),
      ...(values.token ? { token: values.token as string } : {}),
    });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'EADDRINUSE') {
      io.err(`port ${port} is already in use: pass --port N (0 picks a free port)`);
      return 1;
    }
    throw error;
  }
  // Listened for before the demo starts its servers: a Ctrl-C meanwhile still closes them.
  const stopped = untilStopped();
  io.out(`pluggy-lifecycle inspector: ${server.url}`);
  let stopDemo = async () => undefined as void;
  if (withFleet) {
    const { createInspector } = await import('../../inspector/client');
    const { startFleet, acceleratedClock } = await import('../demo/fleet');
    const inspector = createInspector({ url: server.ingestUrl });
    const clock = acceleratedClock(speed);
    const fleet = startFleet({ clock, inspect: inspector.inspect, connections });
    io.out(`demo: ${connections} simulated connections living ${SCENARIOS.length} scenarios, time ${speed}x faster; open the URL above (Ctrl-C stops)`);
    for (const scenario of SCENARIOS) io.out(`  ${scenario.name.padEnd(28)} ${scenario.description}`);
    clock.setTimeout(() => io.out('demo: every scenario has played; the inspector keeps the whole history (scrub back through any connection)'), fleet.scriptedUntil - clock.now() + 60_000);
    const group = values['no-sandbox'] ? undefined : await startDemoSandbox(clock, inspector.inspect, io);
    stopDemo = async () => {
      await group?.stop();
      fleet.stop();
      inspector.close();
    };
  } else {
    io.out(`send inspection frames to ${server.ingestUrl} (Ctrl-C stops)`);
  }
  await stopped;
  await stopDemo();
  await server.close();
  return 0;
}

/** Demo time after which the demo names the sandbox connections that are not where they should be. */
const SANDBOX_PATIENCE_MS = 15 * 60_000;

/** Starts the demo's sandbox group on the fleet's clock and says what it is; without pluggy-sdk the fleet runs alone. */
async function startDemoSandbox(clock: Clock, inspect: (event: InspectionEvent) => void, io: Io) {
  const { startSandboxGroup, SANDBOX_GROUP_USERS } = await import('../demo/sandboxGroup');
  const text = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let group: Awaited<ReturnType<typeof startSandboxGroup>>;
  try {
    group = await startSandboxGroup({ clock, inspect, onError: (error) => io.err(`demo: sandbox group: ${text(error)}`) });
  } catch (error) {
    io.err(`demo: the sandbox group did not start: ${text(error)}; the simulated fleet runs alone`);
    return undefined;
  }
  const members = [...group.members.values()];
  io.out(
    `demo: ${members.length} connections live against the local Pluggy sandbox at ${group.sandbox.url} through pluggy-sdk, on the same clock: ` +
      `each sandbox user polled, and pushed by webhooks to ${group.receiverUrl} (some delivered twice)`,
  );
  for (const [user, { description }] of Object.entries(SANDBOX_GROUP_USERS)) {
    const ids = members.filter((member) => member.user === user).map((member) => `${member.mode} ${member.itemId}`);
    if (ids.length === 0) continue;
    io.out(`  ${user.padEnd(28)} ${description}`);
    io.out(`  ${''.padEnd(28)} ${ids.join('  ')}`);
  }
  const started = clock.now();
  let checking: unknown;
  const check = () => {
    const elapsed = clock.now() - started;
    if (group.reached()) {
      io.out(`demo: every sandbox connection is in its expected state, after ${Math.round(elapsed / 1000)} s of demo time`);
      return;
    }
    if (elapsed >= SANDBOX_PATIENCE_MS) {
      const astray = members.filter((member) => member.connection.getState().value !== member.expected);
      io.err(`demo: sandbox connections not in their expected state: ${astray.map((m) => `${m.user} (${m.mode}) is ${m.connection.getState().value}, expected ${m.expected}`).join('; ')}`);
      return;
    }
    checking = clock.setTimeout(check, 1_000);
  };
  check();
  return {
    stop: () => {
      clock.clearTimeout(checking);
      return group.stop();
    },
  };
}

/** Runs the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'decide':
        return decideCommand(rest, io);
      case 'replay':
        return replayCommand(rest, io);
      case 'ingest':
        return await ingestCommand(rest, io, (message) => new UsageError(message));
      case 'show':
        return await showCommand(rest, io, (message) => new UsageError(message));
      case 'spec':
        return await specCommand(rest, io);
      case 'inspect':
        return await inspectCommand(rest, io, false);
      case 'demo':
        return await inspectCommand(rest, io, true);
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
