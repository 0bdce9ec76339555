/**
 * The living spec: every file of `docs/`, generated from the statechart and the rules.
 * `writeSpec` regenerates them; `checkSpec` lists the files that drifted.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine';
import { toDot, toMermaid } from './diagram';
import { GENERATED_NOTICE, code, table } from './markdown';
import { decisionsMarkdown, transitionsMarkdown } from './tables';
import { ROOT, describeMachine, type MachineInfo } from './walk';

export interface SpecFile {
  /** Path relative to the docs folder. */
  readonly path: string;
  readonly content: string;
}

function statechartMarkdown(info: MachineInfo, mermaid: string): string {
  const states = table(
    ['State', 'Kind', 'What it means', 'Effects on entry'],
    info.states
      .filter((state) => state.path !== ROOT)
      .map((state) => [code(state.path), state.type, state.description, state.entryEffects.map(code).join(', ') || '—']),
  );
  return [
    GENERATED_NOTICE,
    '',
    `# The \`${info.id}\` statechart`,
    '',
    info.description,
    '',
    '![The connection statechart](statechart.svg)',
    '',
    'Edges read `EVENT [guard] / effects`; `any state` stands for transitions the machine takes from whichever state',
    'it is in; effects marked `?` are emitted only sometimes. Transitions that change nothing visible (stale snapshots,',
    'duplicate webhooks) are left out of the pictures and listed in [transitions.md](transitions.md).',
    '',
    '## States',
    '',
    states,
    '',
    '## Mermaid',
    '',
    '```mermaid',
    mermaid.trimEnd(),
    '```',
    '',
  ].join('\n');
}

function indexMarkdown(): string {
  return [
    GENERATED_NOTICE,
    '',
    '# pluggy-lifecycle: the living spec',
    '',
    '- [statechart.md](statechart.md): the diagram ([SVG](statechart.svg), [DOT](statechart.dot), Mermaid) and its states',
    '- [transitions.md](transitions.md): every transition of every state — event, guard, target, effects, meaning',
    '- [decisions.md](decisions.md): the rules R0–R17 and the decision for every (status, executionStatus) pair',
    '',
  ].join('\n');
}

/** Every spec file but the SVG: pure and synchronous. */
export function generateTextSpec(machine: AnyStateMachine = connectionMachine): SpecFile[] {
  const info = describeMachine(machine);
  const mermaid = toMermaid(info);
  return [
    { path: 'README.md', content: indexMarkdown() },
    { path: 'statechart.md', content: statechartMarkdown(info, mermaid) },
    { path: 'statechart.dot', content: toDot(info) },
    { path: 'transitions.md', content: transitionsMarkdown(info) },
    { path: 'decisions.md', content: decisionsMarkdown() },
  ];
}

interface GraphvizModule {
  Graphviz: { load(): Promise<{ dot(source: string): string }> };
}

// `@hpcc-js/wasm-graphviz` is an ES module; a real `import()` keeps it loadable from this CommonJS build.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Renders DOT to SVG offline with Graphviz compiled to WebAssembly. */
export async function renderSvg(dot: string): Promise<string> {
  let module: GraphvizModule;
  try {
    module = (await importModule('@hpcc-js/wasm-graphviz')) as GraphvizModule;
  } catch (cause) {
    throw new Error(`rendering the SVG needs @hpcc-js/wasm-graphviz (npm install --save-dev @hpcc-js/wasm-graphviz): ${String(cause)}`);
  }
  const graphviz = await module.Graphviz.load();
  return graphviz.dot(dot);
}

/** Every spec file, the SVG included. */
export async function generateSpec(machine: AnyStateMachine = connectionMachine): Promise<SpecFile[]> {
  const files = generateTextSpec(machine);
  const dot = files.find((file) => file.path === 'statechart.dot')!.content;
  return [...files, { path: 'statechart.svg', content: await renderSvg(dot) }];
}

export async function writeSpec(dir: string, files?: readonly SpecFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of files ?? (await generateSpec())) {
    await writeFile(join(dir, file.path), file.content);
    written.push(join(dir, file.path));
  }
  return written;
}

export interface Drift {
  readonly path: string;
  readonly problem: 'missing' | 'differs';
}

/** The generated files that are missing from `dir` or differ from what the code generates now. */
export async function checkSpec(dir: string, files?: readonly SpecFile[]): Promise<Drift[]> {
  const drifts: Drift[] = [];
  for (const file of files ?? (await generateSpec())) {
    let current: string;
    try {
      current = await readFile(join(dir, file.path), 'utf8');
    } catch {
      drifts.push({ path: file.path, problem: 'missing' });
      continue;
    }
    if (current !== file.content) drifts.push({ path: file.path, problem: 'differs' });
  }
  return drifts;
}
