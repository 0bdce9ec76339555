/** The statechart as Mermaid `stateDiagram-v2` and as Graphviz DOT, both from `describeMachine`. */
import { ROOT, type MachineInfo, type StateInfo, type TransitionInfo } from './walk';

const ANY = 'any_state';

/** A label short enough for a diagram edge: `EVENT [guard values]`. */
export function edgeLabel(transition: TransitionInfo): string {
  const guard = transition.guard?.replace(/\b\w+: /g, '');
  return guard ? `${transition.event} [${guard}]` : transition.event;
}

/** Effects for a diagram: `sync, anomaly?` (`?` when only sometimes). */
export function effectLabel(transition: TransitionInfo): string {
  return transition.effects.map((effect) => (transition.conditionalEffects.includes(effect) ? `${effect}?` : effect)).join(', ');
}

/**
 * Transitions the diagrams leave out: those that stay and do nothing visible (stale snapshots,
 * duplicate webhooks). The transitions table lists them all.
 */
export function isDrawn(transition: TransitionInfo): boolean {
  return transition.targets.length > 0 || transition.effects.length > 0;
}

function nodeId(path: string): string {
  return path === ROOT ? ANY : path.replace(/\./g, '_');
}

function childrenOf(info: MachineInfo, parent: string): StateInfo[] {
  return info.states.filter((state) => state.parent === parent);
}

// ---------------------------------------------------------------------------------------------
// Mermaid

function mermaidLabel(text: string): string {
  // Mermaid ends a label at ':' and ';' and chokes on '#'.
  return text.replace(/:/g, ' =').replace(/;/g, ',').replace(/#/g, 'no. ');
}

export function toMermaid(info: MachineInfo): string {
  const lines = ['stateDiagram-v2', '  direction LR'];
  const emit = (parent: string, indent: string) => {
    const parentState = info.states.find((state) => state.path === parent);
    if (parentState?.initial) lines.push(`${indent}[*] --> ${nodeId(parentState.initial)}`);
    for (const state of childrenOf(info, parent)) {
      const id = nodeId(state.path);
      if (state.type === 'compound') {
        lines.push(`${indent}state "${state.key}" as ${id} {`);
        emit(state.path, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${state.key}" as ${id}`);
        if (state.type === 'final') lines.push(`${indent}${id} --> [*]`);
      }
    }
  };
  lines.push(`  state "any state" as ${ANY}`);
  emit(ROOT, '  ');
  for (const transition of info.transitions.filter(isDrawn)) {
    const from = nodeId(transition.source);
    const targets = transition.targets.length > 0 ? transition.targets : [transition.source];
    const effects = effectLabel(transition);
    const label = mermaidLabel(edgeLabel(transition) + (effects ? ` / ${effects}` : ''));
    for (const target of targets) lines.push(`  ${from} --> ${nodeId(target)} : ${label}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Graphviz DOT

const PHASE_COLOURS: Record<string, string> = {
  unknown: '#eeeeee',
  pending: '#fff4cc',
  awaitingUser: '#e3ecff',
  syncable: '#dff5e1',
  blocked: '#fde2e1',
  deleted: '#e6e6e6',
};

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A leaf that stands for a state in edges: compound states are drawn as clusters, entered at their initial leaf. */
function anchorLeaf(info: MachineInfo, path: string): string {
  let state = info.states.find((candidate) => candidate.path === path);
  while (state && state.type === 'compound' && state.initial) {
    const initial: string = state.initial;
    state = info.states.find((candidate) => candidate.path === initial);
  }
  return state?.path ?? path;
}

function isCluster(info: MachineInfo, path: string): boolean {
  return info.states.some((state) => state.path === path && state.type === 'compound');
}

/** The node that stands for "whichever substate" of a compound state. */
function anyOf(path: string): string {
  return `${nodeId(path)}__any`;
}

export function toDot(info: MachineInfo): string {
  const drawn = info.transitions.filter(isDrawn);
  const lines = [
    `digraph ${quote(info.id)} {`,
    '  rankdir=LR; compound=true; newrank=true; nodesep=0.35; ranksep=0.9;',
    '  fontname="Helvetica"; fontsize=12;',
    '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#666666", arrowsize=0.7];',
    `  ${quote(ANY)} [label="any state", shape=plaintext, style="", fontcolor="#333333"];`,
  ];
  const emit = (parent: string, indent: string) => {
    for (const state of childrenOf(info, parent)) {
      const phase = state.path.split('.')[0] ?? '';
      const fill = PHASE_COLOURS[phase] ?? '#ffffff';
      if (state.type === 'compound') {
        lines.push(`${indent}subgraph ${quote(`cluster_${nodeId(state.path)}`)} {`);
        lines.push(`${indent}  label=${quote(state.key)}; labeljust="l"; fontsize=14; style="rounded,filled"; fillcolor=${quote(fill)}; color="#999999";`);
        if (drawn.some((transition) => transition.source === state.path)) {
          lines.push(`${indent}  ${quote(anyOf(state.path))} [label=${quote(`any ${state.key} state`)}, shape=plaintext, style="", fontcolor="#333333"];`);
        }
        emit(state.path, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const shape = state.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${indent}${quote(nodeId(state.path))} [label=${quote(state.key)}, fillcolor=${quote(state.depth === 1 ? fill : '#ffffff')}${shape}];`);
      }
    }
  };
  emit(ROOT, '  ');
  for (const transition of drawn) {
    const targets = transition.targets.length > 0 ? transition.targets : [transition.source];
    for (const target of targets) {
      const fromCluster = transition.source !== ROOT && isCluster(info, transition.source);
      const from = transition.source === ROOT ? ANY : fromCluster ? anyOf(transition.source) : nodeId(transition.source);
      const to = target === ROOT ? ANY : target === transition.source && fromCluster ? anyOf(target) : nodeId(anchorLeaf(info, target));
      const effects = effectLabel(transition);
      const attributes = [`label=${quote(edgeLabel(transition) + (effects ? `\n/ ${effects}` : ''))}`];
      const insideSource = fromCluster && target.startsWith(`${transition.source}.`);
      if (target !== ROOT && isCluster(info, target) && target !== transition.source && !insideSource) {
        attributes.push(`lhead=${quote(`cluster_${nodeId(target)}`)}`);
      }
      if (transition.targets.length === 0) attributes.push('style=dashed');
      lines.push(`  ${quote(from)} -> ${quote(to)} [${attributes.join(', ')}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
