/** The transitions table per state, and the decision table of `decide()` over the whole vocabulary. */
import { decide } from '../decision/decide';
import { RULES, type Clause, type Rule } from '../decision/rules';
import { EXECUTION_STATUSES, ITEM_STATUSES } from '../vocabulary/statuses';
import { effectLabel } from './diagram';
import { GENERATED_NOTICE, anchor, code, table } from './markdown';
import { ROOT, type MachineInfo, type StateInfo } from './walk';

function stateTitle(state: StateInfo): string {
  return state.path === ROOT ? 'Any state (the machine itself)' : state.path;
}

/** `docs/transitions.md`: every state with its entry actions, and every transition it declares. */
export function transitionsMarkdown(info: MachineInfo): string {
  const sections = info.states.map((state) => {
    const transitions = info.transitions.filter((transition) => transition.source === state.path);
    const facts = [
      `- Kind: ${state.type}${state.initial ? `, starts in ${code(state.initial)}` : ''}`,
      state.entry.length ? `- On entry: ${state.entry.map(code).join(', ')}` : undefined,
      state.entryEffects.length ? `- Effects on entry: ${state.entryEffects.map(code).join(', ')}` : undefined,
    ].filter((line): line is string => line !== undefined);
    const rows = transitions.map((transition) => [
      code(transition.event),
      transition.guard ? code(transition.guard) : '(always)',
      transition.targets.length ? transition.targets.map(code).join(', ') + (transition.reenter ? ' (re-entered)' : '') : '(stays)',
      effectLabel(transition) || '—',
      transition.description,
    ]);
    const body = rows.length
      ? table(['Event', 'Guard', 'Target', 'Effects', 'What it means'], rows)
      : '_No transitions of its own; the enclosing states handle its events._';
    return [`## ${stateTitle(state)}`, '', state.description, '', ...facts, '', body].join('\n');
  });
  const index = info.states.map((state) => `${'  '.repeat(Math.max(0, state.depth - 1))}- [${stateTitle(state)}](#${anchor(stateTitle(state))})`);
  return [
    GENERATED_NOTICE,
    '',
    `# Transitions of the \`${info.id}\` statechart`,
    '',
    info.description,
    '',
    'Transitions are tried in the order listed; the first whose guard holds is taken. A state\'s own transitions',
    'are tried before those of the states that enclose it. Effects marked `?` are emitted only sometimes',
    '(see the action). `after <delay>` transitions are timers.',
    '',
    ...index,
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

function clauseText(clause: Clause): string {
  const parts: string[] = [];
  if (clause.signal === 'deleted') parts.push('`item/deleted` webhook or 404 on fetch');
  if (clause.status) parts.push(`status ∈ {${clause.status.join(', ')}}`);
  if (clause.executionStatus) parts.push(`executionStatus ∈ {${clause.executionStatus.join(', ')}}`);
  if (clause.executionStatusEndsWith) parts.push(`executionStatus ends with ${clause.executionStatusEndsWith}`);
  return parts.length ? parts.join(' and ') : 'anything else';
}

function outcome(rule: Pick<Rule, 'phase' | 'remedy' | 'awaiting' | 'warning'>): string {
  const detail = rule.remedy ?? rule.awaiting ?? rule.warning;
  return detail ? `${rule.phase} · ${detail}` : rule.phase;
}

/** Executions that appear in no rule's clause but the catch-alls: worth a row of their own. */
const UNKNOWN_EXECUTIONS = ['(an unknown value)', '(an unknown …_IN_PROGRESS)'] as const;

/** `docs/decisions.md`: the rules in order, then the grid of every (status, executionStatus) pair. */
export function decisionsMarkdown(): string {
  const rules = table(
    ['Rule', 'When', 'Decision', 'Can sync', 'Source', 'Why'],
    RULES.map((rule: Rule) => [
      `**${rule.id}**`,
      rule.when.map(clauseText).join('; or '),
      outcome(rule),
      rule.phase === 'syncable' ? 'yes' : 'no',
      rule.origin === 'guide' ? 'guide' : 'extension',
      rule.summary,
    ]),
  );
  const executions = [...EXECUTION_STATUSES, ...UNKNOWN_EXECUTIONS];
  const grid = table(
    ['executionStatus ↓ / status →', ...ITEM_STATUSES],
    executions.map((execution) => {
      const value = execution === UNKNOWN_EXECUTIONS[0] ? 'SOMETHING_NEW' : execution === UNKNOWN_EXECUTIONS[1] ? 'SOMETHING_NEW_IN_PROGRESS' : execution;
      return [
        code(execution),
        ...ITEM_STATUSES.map((status) => {
          const decision = decide({ status, executionStatus: value });
          const detail = decision.remedy ?? decision.awaiting ?? decision.warning;
          return `${decision.rule} ${decision.phase}${detail ? ` · ${detail}` : ''}${decision.canSync ? ' ✅' : ''}`;
        }),
      ];
    }),
  );
  return [
    GENERATED_NOTICE,
    '',
    '# Decisions: (status, executionStatus) → what the connection needs',
    '',
    '`decide()` applies the rules in order; the first that matches wins. An unknown value matches no rule that',
    'names it, so it can never lead to a sync. `guide` marks rules stated by the original status guide;',
    '`extension` covers the rest of Pluggy\'s vocabulary.',
    '',
    '## Rules',
    '',
    rules,
    '',
    '## Every pair',
    '',
    `Each cell: rule, phase and remedy / awaiting / warning; ✅ where the data may be synced. ${ITEM_STATUSES.length} statuses ×`,
    `${EXECUTION_STATUSES.length} execution statuses, plus unknown values (accepted only by lenient parsing).`,
    '',
    grid,
    '',
  ].join('\n');
}
