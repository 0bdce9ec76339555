/**
 * `decide()`: (status, executionStatus) → decision, per DESIGN.md "Rulings" (R0–R17) and the
 * status guide's five Testing Scenarios.
 */
import {
  EXECUTION_STATUSES,
  ITEM_STATUSES,
  RULES,
  decide,
  parseItem,
  type Decision,
  type DecisionInput,
} from '../src/index';

// ---------------------------------------------------------------------------------------------
// An independent reference: DESIGN.md's R-table transcribed as a plain chain of `if`s.
// ---------------------------------------------------------------------------------------------

type Expected = {
  rule: string;
  phase: 'unknown' | 'pending' | 'awaitingUser' | 'syncable' | 'blocked' | 'deleted';
  remedy?: string;
  awaiting?: string;
  warning?: string;
};

function referenceDecision(status: string | undefined, exec: string | undefined, deleted = false): Expected {
  const s = status ?? '';
  const e = exec ?? '';
  if (deleted) return { rule: 'R0', phase: 'deleted' };
  if (e === 'USER_INPUT_TIMEOUT') return { rule: 'R1', phase: 'blocked', remedy: 'reconnect' };
  if (e === 'INVALID_CREDENTIALS' || e === 'ACCOUNT_CREDENTIALS_RESET') return { rule: 'R2', phase: 'blocked', remedy: 'updateCredentials' };
  if (e === 'INVALID_CREDENTIALS_MFA') return { rule: 'R3', phase: 'blocked', remedy: 'reconnect' };
  if (e === 'SITE_NOT_AVAILABLE' || e === 'ALREADY_LOGGED_IN') return { rule: 'R4', phase: 'blocked', remedy: 'retryLater' };
  if (e === 'ERROR' || e === 'CONNECTION_ERROR' || e === 'UNEXPECTED_ERROR' || e === 'MERGE_ERROR' || e === 'CREATE_ERROR') {
    return { rule: 'R5', phase: 'blocked', remedy: 'reconnect' };
  }
  if (e === 'ACCOUNT_LOCKED' || e === 'ACCOUNT_NEEDS_ACTION') return { rule: 'R6', phase: 'blocked', remedy: 'actAtInstitution' };
  if (e === 'USER_AUTHORIZATION_NOT_GRANTED' || e === 'USER_AUTHORIZATION_REVOKED') return { rule: 'R7', phase: 'blocked', remedy: 'reconsent' };
  if (e === 'USER_NOT_SUPPORTED') return { rule: 'R8', phase: 'blocked', remedy: 'unsupported' };
  if (s === 'WAITING_USER_INPUT' || e === 'WAITING_USER_INPUT') return { rule: 'R9', phase: 'awaitingUser', awaiting: 'input' };
  if (s === 'WAITING_USER_ACTION' || e === 'WAITING_USER_ACTION' || e === 'USER_AUTHORIZATION_PENDING') {
    return { rule: 'R10', phase: 'awaitingUser', awaiting: 'action' };
  }
  if (
    s === 'UPDATING' ||
    s === 'MERGING' ||
    e === 'CREATING' ||
    e === 'CREATED' ||
    e === 'LOGIN_IN_PROGRESS' ||
    e === 'LOGIN_MFA_IN_PROGRESS' ||
    e.endsWith('_IN_PROGRESS')
  ) {
    return { rule: 'R11', phase: 'pending' };
  }
  if (s === 'OUTDATED' && (e === 'SUCCESS' || e === 'PARTIAL_SUCCESS')) return { rule: 'R12', phase: 'syncable', warning: 'outdated' };
  if (s === 'OUTDATED') return { rule: 'R13', phase: 'blocked', remedy: 'reconnect' };
  if (s === 'LOGIN_ERROR') return { rule: 'R14', phase: 'blocked', remedy: 'updateCredentials' };
  if (s === 'UPDATED' && e === 'SUCCESS') return { rule: 'R15', phase: 'syncable' };
  if (s === 'UPDATED' && e === 'PARTIAL_SUCCESS') return { rule: 'R16', phase: 'syncable', warning: 'partial' };
  return { rule: 'R17', phase: 'unknown' };
}

/** Asserts the decision's shape against the reference, including which optional fields may appear in which phase. */
function expectMatchesReference(decision: Decision, expected: Expected): void {
  expect(decision.rule).toBe(expected.rule);
  expect(decision.phase).toBe(expected.phase);
  expect(decision.canSync).toBe(expected.phase === 'syncable');
  expect(decision.remedy).toBe(expected.remedy);
  expect(decision.awaiting).toBe(expected.awaiting);
  expect(decision.warning).toBe(expected.warning);
  if (decision.phase !== 'blocked') expect(decision).not.toHaveProperty('remedy');
  if (decision.phase !== 'awaitingUser') {
    expect(decision).not.toHaveProperty('awaiting');
    expect(decision).not.toHaveProperty('parameter');
    expect(decision).not.toHaveProperty('userAction');
    expect(decision).not.toHaveProperty('expiresAt');
  }
  if (decision.phase !== 'syncable') expect(decision).not.toHaveProperty('warning');
  if (decision.warning !== 'partial') expect(decision).not.toHaveProperty('products');
  expect(typeof decision.reason).toBe('string');
  expect(decision.reason.length).toBeGreaterThan(expected.rule.length);
  expect(decision.reason.startsWith(`${expected.rule}:`)).toBe(true);
}

const SUCCESSES: ReadonlySet<string> = new Set(['SUCCESS', 'PARTIAL_SUCCESS']);

const ALL_PAIRS: ReadonlyArray<readonly [string, string]> = ITEM_STATUSES.flatMap((status) =>
  EXECUTION_STATUSES.map((exec) => [status, exec] as const),
);

// ---------------------------------------------------------------------------------------------
// The guide's five Testing Scenarios, verbatim
// ---------------------------------------------------------------------------------------------

describe("the status guide's testing scenarios", () => {
  it('Scenario 1, normal success: UPDATED + SUCCESS proceeds with sync, without warning', () => {
    const decision = decide({ status: 'UPDATED', executionStatus: 'SUCCESS' });
    expect(decision).toMatchObject({ rule: 'R15', phase: 'syncable', canSync: true });
    expect(decision.warning).toBeUndefined();
    expect(decision.remedy).toBeUndefined();
  });

  it('Scenario 2, partial success: UPDATED + PARTIAL_SUCCESS proceeds with sync, warning "partial"', () => {
    const decision = decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS' });
    expect(decision).toMatchObject({ rule: 'R16', phase: 'syncable', canSync: true, warning: 'partial' });
  });

  it('Scenario 2 on Open Finance: the reason says missing accounts arrive later', () => {
    const viaConnector = decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', connector: { isOpenFinance: true } });
    expect(viaConnector).toMatchObject({ rule: 'R16', phase: 'syncable', canSync: true, warning: 'partial' });
    expect(viaConnector.reason).toMatch(/Open Finance/);

    const viaFlag = decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', isOpenFinance: true });
    expect(viaFlag.reason).toMatch(/Open Finance/);

    const direct = decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', connector: { isOpenFinance: false } });
    expect(direct.reason).not.toMatch(/Open Finance/);

    // the explicit flag overrides the connector
    expect(decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', isOpenFinance: false, connector: { isOpenFinance: true } }).reason).not.toMatch(
      /Open Finance/,
    );
  });

  it.each(['OUTDATED', 'WAITING_USER_INPUT'])('Scenario 3, authentication timeout: %s + USER_INPUT_TIMEOUT blocks and requires reconnection', (status) => {
    const decision = decide({ status, executionStatus: 'USER_INPUT_TIMEOUT' });
    expect(decision).toMatchObject({ rule: 'R1', phase: 'blocked', canSync: false, remedy: 'reconnect' });
    expect(decision.awaiting).toBeUndefined();
  });

  it('Scenario 4, outdated but working: OUTDATED + SUCCESS allows sync with warning "outdated"', () => {
    const decision = decide({ status: 'OUTDATED', executionStatus: 'SUCCESS' });
    expect(decision).toMatchObject({ rule: 'R12', phase: 'syncable', canSync: true, warning: 'outdated' });
  });

  it('Scenario 5, complete failure: LOGIN_ERROR + INVALID_CREDENTIALS blocks and requires a credential update', () => {
    const decision = decide({ status: 'LOGIN_ERROR', executionStatus: 'INVALID_CREDENTIALS' });
    expect(decision).toMatchObject({ rule: 'R2', phase: 'blocked', canSync: false, remedy: 'updateCredentials' });
  });

  it('the scenarios decide the same from a parsed GET /items/{id} snapshot', () => {
    const item = parseItem({
      id: 'f1e2d3c4-0000-4000-8000-000000000001',
      status: 'OUTDATED',
      executionStatus: 'USER_INPUT_TIMEOUT',
      updatedAt: '2024-03-05T08:15:30.000Z',
      connector: { id: 601, name: 'Itaú', isOpenFinance: true },
      error: { code: 'USER_INPUT_TIMEOUT', message: 'User requested input had expired' },
    });
    expect(decide(item)).toMatchObject({ rule: 'R1', phase: 'blocked', remedy: 'reconnect', canSync: false });
  });
});

// ---------------------------------------------------------------------------------------------
// One representative input per rule
// ---------------------------------------------------------------------------------------------

const RULE_EXAMPLES: ReadonlyArray<readonly [string, string, DecisionInput, Partial<Decision>]> = [
  ['R0', 'an item/deleted webhook or a 404 makes the connection deleted', { deleted: true }, { phase: 'deleted', canSync: false }],
  ['R1', 'an expired MFA window blocks for a user-present reconnection', { status: 'OUTDATED', executionStatus: 'USER_INPUT_TIMEOUT' }, { phase: 'blocked', remedy: 'reconnect' }],
  ['R2', 'a required password reset blocks for a credential update', { status: 'LOGIN_ERROR', executionStatus: 'ACCOUNT_CREDENTIALS_RESET' }, { phase: 'blocked', remedy: 'updateCredentials' }],
  ['R3', 'a wrong MFA answer blocks for a reconnection', { status: 'LOGIN_ERROR', executionStatus: 'INVALID_CREDENTIALS_MFA' }, { phase: 'blocked', remedy: 'reconnect' }],
  ['R4', 'an unavailable institution blocks until later', { status: 'OUTDATED', executionStatus: 'SITE_NOT_AVAILABLE' }, { phase: 'blocked', remedy: 'retryLater' }],
  ['R5', 'an unexpected execution error blocks for a reconnection', { status: 'OUTDATED', executionStatus: 'CONNECTION_ERROR' }, { phase: 'blocked', remedy: 'reconnect' }],
  ['R6', 'a locked account blocks until the user acts at the institution', { status: 'LOGIN_ERROR', executionStatus: 'ACCOUNT_LOCKED' }, { phase: 'blocked', remedy: 'actAtInstitution' }],
  ['R7', 'a revoked consent blocks for a new consent', { status: 'LOGIN_ERROR', executionStatus: 'USER_AUTHORIZATION_REVOKED' }, { phase: 'blocked', remedy: 'reconsent' }],
  ['R8', 'an unsupported account type blocks as unsupported', { status: 'LOGIN_ERROR', executionStatus: 'USER_NOT_SUPPORTED' }, { phase: 'blocked', remedy: 'unsupported' }],
  ['R9', 'an MFA request awaits user input', { status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT' }, { phase: 'awaitingUser', awaiting: 'input' }],
  ['R10', 'a pending authorization awaits a user action', { status: 'WAITING_USER_ACTION', executionStatus: 'USER_AUTHORIZATION_PENDING' }, { phase: 'awaitingUser', awaiting: 'action' }],
  ['R11', 'a running execution is pending', { status: 'UPDATING', executionStatus: 'TRANSACTIONS_IN_PROGRESS' }, { phase: 'pending' }],
  ['R12', 'an outdated item whose last execution succeeded syncs with a warning', { status: 'OUTDATED', executionStatus: 'PARTIAL_SUCCESS' }, { phase: 'syncable', canSync: true, warning: 'outdated' }],
  ['R13', 'an outdated item whose last execution did not succeed blocks for a reconnection', { status: 'OUTDATED', executionStatus: 'FINISHED' }, { phase: 'blocked', remedy: 'reconnect' }],
  ['R14', 'a login error with any other execution blocks for a credential update', { status: 'LOGIN_ERROR', executionStatus: 'SUCCESS' }, { phase: 'blocked', remedy: 'updateCredentials' }],
  ['R15', 'a fully successful update syncs', { status: 'UPDATED', executionStatus: 'SUCCESS' }, { phase: 'syncable', canSync: true }],
  ['R16', 'a partially successful update syncs with a warning', { status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS' }, { phase: 'syncable', canSync: true, warning: 'partial' }],
  ['R17', 'a contradiction (UPDATED + FINISHED) is unknown and never syncs', { status: 'UPDATED', executionStatus: 'FINISHED' }, { phase: 'unknown', canSync: false }],
];

describe('one representative input per rule', () => {
  it('covers every rule R0–R17', () => {
    expect(RULE_EXAMPLES.map(([id]) => id)).toEqual(RULES.map((rule) => rule.id));
  });

  it.each(RULE_EXAMPLES)('%s: %s', (id, _behaviour, input, expected) => {
    const decision = decide(input);
    expect(decision).toMatchObject({ rule: id, canSync: expected.phase === 'syncable', ...expected });
    expect(decision.reason.startsWith(`${id}:`)).toBe(true);
    expectMatchesReference(decision, referenceDecision(input.status, input.executionStatus, input.deleted === true));
  });

  it('R0: deletion wins over whatever the last snapshot said', () => {
    expect(decide({ deleted: true, status: 'UPDATED', executionStatus: 'SUCCESS' })).toMatchObject({ rule: 'R0', phase: 'deleted', canSync: false });
    expect(decide({ deleted: false, status: 'UPDATED', executionStatus: 'SUCCESS' }).rule).toBe('R15');
  });

  it.each([
    ['UPDATING', 'SUCCESS'],
    ['MERGING', 'PARTIAL_SUCCESS'],
    ['UPDATED', 'LOGIN_IN_PROGRESS'],
    ['OUTDATED', 'CREATED'],
    ['LOGIN_ERROR', 'CREATING'],
  ])('R11: %s + %s waits rather than syncing or blocking', (status, executionStatus) => {
    expect(decide({ status, executionStatus })).toMatchObject({ rule: 'R11', phase: 'pending', canSync: false });
  });
});

// ---------------------------------------------------------------------------------------------
// Every (status, executionStatus) pair against the reference
// ---------------------------------------------------------------------------------------------

describe('every known (status, executionStatus) pair', () => {
  it(`covers ${ITEM_STATUSES.length} × ${EXECUTION_STATUSES.length} pairs`, () => {
    expect(ALL_PAIRS).toHaveLength(7 * 35);
  });

  it.each(ALL_PAIRS)('%s + %s decides as the DESIGN table says', (status, executionStatus) => {
    expectMatchesReference(decide({ status, executionStatus }), referenceDecision(status, executionStatus));
  });

  it('a decision can sync exactly when its phase is syncable', () => {
    for (const [status, executionStatus] of ALL_PAIRS) {
      const decision = decide({ status, executionStatus });
      expect(decision.canSync).toBe(decision.phase === 'syncable');
    }
  });

  it('no execution other than SUCCESS or PARTIAL_SUCCESS can sync, whatever the status', () => {
    const syncing = ALL_PAIRS.filter(([status, executionStatus]) => decide({ status, executionStatus }).canSync);
    for (const [, executionStatus] of syncing) expect(SUCCESSES.has(executionStatus)).toBe(true);
    expect(syncing.map((pair) => pair.join('+')).sort()).toEqual(
      ['OUTDATED+PARTIAL_SUCCESS', 'OUTDATED+SUCCESS', 'UPDATED+PARTIAL_SUCCESS', 'UPDATED+SUCCESS'].sort(),
    );
  });

  it('every rule except R0 is reached by some known pair', () => {
    const reached = new Set(ALL_PAIRS.map(([status, executionStatus]) => decide({ status, executionStatus }).rule));
    expect([...reached].sort()).toEqual(RULES.map((rule) => rule.id).filter((id) => id !== 'R0').sort());
  });
});

// ---------------------------------------------------------------------------------------------
// Unknown values (lenient parsing lets them through)
// ---------------------------------------------------------------------------------------------

const UNKNOWN_EXECUTIONS = ['NEW_STATUS', 'FOO_IN_PROGRESS', '', 'in_progress', 'SUCCESS ', 'success', 'PARTIAL_SUCCESS_V2', 'UPDATED', 'OUTDATED'];
const UNKNOWN_STATUSES = ['NEW_STATUS', 'FOO_IN_PROGRESS', '', 'updated', 'PARTIAL_SUCCESS', 'SUCCESS', 'DELETED', 'CREATED'];

describe('unknown values never lead to a sync', () => {
  it.each([...ITEM_STATUSES, ...UNKNOWN_STATUSES].flatMap((status) => UNKNOWN_EXECUTIONS.map((exec) => [status, exec] as const)))(
    'status %p + unknown executionStatus %p does not sync',
    (status, executionStatus) => {
      const decision = decide({ status, executionStatus });
      expect(decision.canSync).toBe(false);
      expectMatchesReference(decision, referenceDecision(status, executionStatus));
    },
  );

  it.each(UNKNOWN_STATUSES.flatMap((status) => ['SUCCESS', 'PARTIAL_SUCCESS', 'FINISHED'].map((exec) => [status, exec] as const)))(
    'unknown status %p + %p does not sync',
    (status, executionStatus) => {
      const decision = decide({ status, executionStatus });
      expect(decision.canSync).toBe(false);
      expect(decision).toMatchObject({ rule: 'R17', phase: 'unknown' });
    },
  );

  it.each(['NEW_STATUS', '', 'SUCCESS'])('X_IN_PROGRESS with unknown status %p is pending (R11)', (status) => {
    expect(decide({ status, executionStatus: 'X_IN_PROGRESS' })).toMatchObject({ rule: 'R11', phase: 'pending', canSync: false });
  });

  it('a product step Pluggy adds later (BENEFITS_IN_PROGRESS) under UPDATING is pending', () => {
    expect(decide({ status: 'UPDATING', executionStatus: 'BENEFITS_IN_PROGRESS' })).toMatchObject({ rule: 'R11', phase: 'pending' });
  });

  it.each(['NEW_STATUS', 'FINISHED', '', 'SUCCESS_WITH_GAPS'])('UPDATED + unknown executionStatus %p is R17 unknown', (executionStatus) => {
    const decision = decide({ status: 'UPDATED', executionStatus });
    expect(decision).toMatchObject({ rule: 'R17', phase: 'unknown', canSync: false });
    expect(decision.reason).toContain('R17');
  });

  it.each(['NEW_STATUS', '', 'SUCCESS_WITH_GAPS'])('OUTDATED + unknown executionStatus %p blocks for a reconnection (R13)', (executionStatus) => {
    expect(decide({ status: 'OUTDATED', executionStatus })).toMatchObject({ rule: 'R13', phase: 'blocked', remedy: 'reconnect', canSync: false });
  });

  it('an item parsed leniently with an unknown executionStatus does not sync', () => {
    const item = parseItem(
      { id: 'item-1', status: 'UPDATED', executionStatus: 'SOMETHING_NEW', updatedAt: '2024-03-05T08:15:30.000Z' },
      { parsing: 'lenient' },
    );
    expect(decide(item)).toMatchObject({ rule: 'R17', phase: 'unknown', canSync: false });
  });

  it('the reason names the values it decided on', () => {
    const decision = decide({ status: 'UPDATED', executionStatus: 'NEW_STATUS' });
    expect(decision.reason).toContain('UPDATED');
    expect(decision.reason).toContain('NEW_STATUS');
  });
});

// ---------------------------------------------------------------------------------------------
// Purity and robustness
// ---------------------------------------------------------------------------------------------

/** A deep copy whose Dates belong to this realm (structuredClone's would come from Node's main realm, not jest's). */
function deepCopy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((entry: unknown) => deepCopy(entry)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, deepCopy(entry)])) as T;
  }
  return value;
}

describe('decide is pure and never throws', () => {
  function richInput(): DecisionInput {
    return {
      status: 'UPDATED',
      executionStatus: 'PARTIAL_SUCCESS',
      connector: { isOpenFinance: true },
      statusDetail: {
        accounts: { isUpdated: true, lastUpdatedAt: new Date('2024-03-05T08:15:00.000Z') },
        creditCards: { isUpdated: false, lastUpdatedAt: new Date('2024-02-01T00:00:00.000Z') },
        loans: null,
      },
      parameter: { name: 'token', expiresAt: new Date('2024-03-05T08:20:00.000Z') },
    };
  }

  it.each([
    ['a partial Open Finance snapshot', richInput()],
    ['an MFA request', { status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT', parameter: { name: 'token', expiresAt: new Date('2024-03-05T08:20:00.000Z') } }],
    ['a user action', { status: 'WAITING_USER_ACTION', executionStatus: 'WAITING_USER_ACTION', userAction: { type: 'qr', expiresAt: new Date('2024-03-05T08:20:00.000Z') } }],
    ['a deletion', { deleted: true }],
  ] as ReadonlyArray<readonly [string, DecisionInput]>)('gives deep-equal output for the same input, and leaves %s unmutated', (_label, input) => {
    const before = deepCopy(input);
    const first = decide(input);
    const second = decide(input);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(input).toEqual(before);
    // a structurally equal copy decides the same
    expect(decide(deepCopy(input))).toEqual(first);
  });

  it('does not mutate a frozen input', () => {
    const input = Object.freeze({ status: 'OUTDATED', executionStatus: 'SUCCESS', connector: Object.freeze({ isOpenFinance: true }) });
    expect(() => decide(input)).not.toThrow();
  });

  it.each([
    ['an empty object', {}],
    ['status undefined', { status: undefined }],
    ['executionStatus undefined', { executionStatus: undefined }],
    ['both undefined', { status: undefined, executionStatus: undefined }],
    ['deleted false', { deleted: false }],
    ['only a status', { status: 'UPDATED' }],
    ['only an executionStatus', { executionStatus: 'SUCCESS' }],
    ['empty strings', { status: '', executionStatus: '' }],
    ['null connector, parameter, userAction and statusDetail', { status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', connector: null, parameter: null, userAction: null, statusDetail: null }],
    ['an empty statusDetail', { status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', statusDetail: {} }],
    ['a very long unknown value', { status: 'X'.repeat(10_000), executionStatus: 'Y'.repeat(10_000) }],
    ['prototype-ish keys as values', { status: '__proto__', executionStatus: 'constructor' }],
    ['hasOwnProperty as status', { status: 'hasOwnProperty', executionStatus: 'toString' }],
  ] as ReadonlyArray<readonly [string, DecisionInput]>)('does not throw for %s, and does not sync', (_label, input) => {
    let decision: Decision | undefined;
    expect(() => {
      decision = decide(input);
    }).not.toThrow();
    expect(decision).toBeDefined();
    if (!decision) return;
    if (input.status !== 'UPDATED' || input.executionStatus !== 'PARTIAL_SUCCESS') expect(decision.canSync).toBe(false);
    expectMatchesReference(decision, referenceDecision(input.status, input.executionStatus, input.deleted === true));
  });

  it('with no status and no executionStatus the decision is R17 unknown', () => {
    expect(decide({})).toMatchObject({ rule: 'R17', phase: 'unknown', canSync: false });
  });

  it('does not throw when an unparsed input carries a non-string executionStatus', () => {
    const input = JSON.parse('{"status":"UPDATED","executionStatus":42}') as DecisionInput;
    expect(decide(input)).toMatchObject({ phase: 'unknown', canSync: false });
  });

  it('decides null or undefined (from untyped JSON callers) as unknown instead of throwing', () => {
    expect(decide(null as unknown as DecisionInput)).toMatchObject({ rule: 'R17', canSync: false });
    expect(decide(undefined as unknown as DecisionInput)).toMatchObject({ rule: 'R17', canSync: false });
  });

  it('reads deadlines and product dates given as ISO strings by hosts that skip parseItem', () => {
    const raw = JSON.parse(
      '{"status":"WAITING_USER_INPUT","executionStatus":"WAITING_USER_INPUT","parameter":{"name":"token","expiresAt":"2024-03-05T08:20:30.000Z"}}',
    ) as DecisionInput;
    expect(decide(raw).expiresAt).toBe('2024-03-05T08:20:30.000Z');
    const partial = JSON.parse(
      '{"status":"UPDATED","executionStatus":"PARTIAL_SUCCESS","statusDetail":{"creditCards":{"isUpdated":false,"lastUpdatedAt":"2024-02-01T10:00:00.000Z"}}}',
    ) as DecisionInput;
    expect(decide(partial).products).toEqual({ creditCards: { state: 'stale', lastUpdatedAt: '2024-02-01T10:00:00.000Z' } });
  });
});

// ---------------------------------------------------------------------------------------------
// What an awaitingUser decision carries
// ---------------------------------------------------------------------------------------------

describe('what the user is asked for', () => {
  it("awaiting input carries the MFA parameter and its deadline as an ISO string from parameter.expiresAt", () => {
    const parameter = { name: 'token', label: 'Token', type: 'number', expiresAt: new Date('2024-03-05T08:20:30.000Z') };
    const decision = decide({ status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT', parameter });
    expect(decision).toMatchObject({ rule: 'R9', phase: 'awaitingUser', awaiting: 'input', canSync: false });
    expect(decision.parameter).toEqual(parameter);
    expect(decision.expiresAt).toBe('2024-03-05T08:20:30.000Z');
    expect(decision).not.toHaveProperty('userAction');
  });

  it.each([
    ['no parameter', {}],
    ['a null parameter', { parameter: null }],
    ['a parameter without expiresAt', { parameter: { name: 'token' } }],
    ['a parameter with expiresAt null', { parameter: { name: 'token', expiresAt: null } }],
  ] as ReadonlyArray<readonly [string, Partial<DecisionInput>]>)('awaiting input with %s has expiresAt null', (_label, extra) => {
    const decision = decide({ status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT', ...extra });
    expect(decision.awaiting).toBe('input');
    expect(decision).toHaveProperty('expiresAt', null);
    expect(decision).toHaveProperty('parameter', extra.parameter ?? null);
  });

  it('awaiting input from the executionStatus alone (status UPDATING) also carries the parameter', () => {
    const decision = decide({ status: 'UPDATING', executionStatus: 'WAITING_USER_INPUT', parameter: { name: 'otp', expiresAt: new Date('2024-03-05T08:20:30.000Z') } });
    expect(decision).toMatchObject({ rule: 'R9', awaiting: 'input', expiresAt: '2024-03-05T08:20:30.000Z', parameter: { name: 'otp' } });
  });

  it('the MFA deadline survives parsing: a parsed item gives the same ISO expiresAt', () => {
    const item = parseItem({
      id: 'item-1',
      status: 'WAITING_USER_INPUT',
      executionStatus: 'WAITING_USER_INPUT',
      updatedAt: '2024-03-05T08:15:30.000Z',
      parameter: { name: 'token', type: 'number', expiresAt: '2024-03-05T05:20:30-03:00' },
    });
    expect(decide(item).expiresAt).toBe('2024-03-05T08:20:30.000Z');
  });

  it('awaiting an action carries the userAction and its deadline', () => {
    const userAction = { type: 'authorize-access', instructions: 'Authorize in your bank app', expiresAt: new Date('2024-03-05T08:25:00.000Z') };
    const decision = decide({ status: 'WAITING_USER_ACTION', executionStatus: 'WAITING_USER_ACTION', userAction });
    expect(decision).toMatchObject({ rule: 'R10', phase: 'awaitingUser', awaiting: 'action', canSync: false });
    expect(decision.userAction).toEqual(userAction);
    expect(decision.expiresAt).toBe('2024-03-05T08:25:00.000Z');
    expect(decision).not.toHaveProperty('parameter');
  });

  it('awaiting an action without userAction carries null for both', () => {
    const decision = decide({ status: 'UPDATING', executionStatus: 'USER_AUTHORIZATION_PENDING' });
    expect(decision).toMatchObject({ rule: 'R10', awaiting: 'action', userAction: null, expiresAt: null });
  });

  it('a timed-out MFA does not carry the stale parameter', () => {
    const decision = decide({
      status: 'WAITING_USER_INPUT',
      executionStatus: 'USER_INPUT_TIMEOUT',
      parameter: { name: 'token', expiresAt: new Date('2024-03-05T08:20:30.000Z') },
    });
    expect(decision.rule).toBe('R1');
    expect(decision).not.toHaveProperty('parameter');
    expect(decision).not.toHaveProperty('expiresAt');
  });
});

// ---------------------------------------------------------------------------------------------
// Per-product detail of a partial success
// ---------------------------------------------------------------------------------------------

describe('a partial success reports per-product freshness', () => {
  const accountsSyncedAt = new Date('2024-03-05T08:15:00.000Z');
  const cardsLastSyncedAt = new Date('2024-02-01T10:00:00.000Z');
  const statusDetail = {
    accounts: { isUpdated: true, lastUpdatedAt: accountsSyncedAt },
    creditCards: { isUpdated: false, lastUpdatedAt: cardsLastSyncedAt },
    investments: {
      isUpdated: false,
      lastUpdatedAt: null,
      warnings: [
        {
          code: '001',
          message: 'You lack permissions to view Investments on this account',
          providerMessage: 'Meu perfil não permite visualizar investimentos',
        },
      ],
    },
    loans: null,
  };

  it('reports fresh, stale, never-collected and not-requested products with warning codes', () => {
    const decision = decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', statusDetail });
    expect(decision).toMatchObject({ rule: 'R16', warning: 'partial', canSync: true });
    expect(decision.products).toMatchObject({
      accounts: { state: 'fresh' },
      creditCards: { state: 'stale', lastUpdatedAt: '2024-02-01T10:00:00.000Z' },
      investments: { state: 'neverCollected', warnings: ['001'] },
      loans: { state: 'notRequested' },
    });
    expect(decision.products?.creditCards).not.toHaveProperty('warnings');
    expect(decision.products?.investments).not.toHaveProperty('lastUpdatedAt');
    expect(decision.products?.loans).toEqual({ state: 'notRequested' });
    // products Pluggy did not mention are not reported
    expect(Object.keys(decision.products ?? {}).sort()).toEqual(['accounts', 'creditCards', 'investments', 'loans']);
  });

  it('reports the same products from a parsed snapshot whose dates were ISO strings', () => {
    const item = parseItem({
      id: 'item-1',
      status: 'UPDATED',
      executionStatus: 'PARTIAL_SUCCESS',
      updatedAt: '2024-03-05T08:15:30.000Z',
      connector: { id: 601, isOpenFinance: true },
      statusDetail: JSON.parse(JSON.stringify(statusDetail)) as unknown,
    });
    const decision = decide(item);
    expect(decision.products).toEqual(decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', statusDetail }).products);
    expect(decision.reason).toMatch(/Open Finance/);
  });

  it('reports warnings on a product that was collected', () => {
    const decision = decide({
      status: 'UPDATED',
      executionStatus: 'PARTIAL_SUCCESS',
      statusDetail: { identity: { isUpdated: true, lastUpdatedAt: accountsSyncedAt, warnings: [{ code: '423', message: 'limit' }] } },
    });
    expect(decision.products?.identity).toMatchObject({ state: 'fresh', warnings: ['423'] });
  });

  it('has no products without a statusDetail', () => {
    expect(decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS' })).not.toHaveProperty('products');
    expect(decide({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', statusDetail: null })).not.toHaveProperty('products');
  });

  it('reports no products outside R16, even when a statusDetail is given', () => {
    for (const [status, executionStatus] of [
      ['UPDATED', 'SUCCESS'],
      ['OUTDATED', 'PARTIAL_SUCCESS'],
      ['LOGIN_ERROR', 'PARTIAL_SUCCESS'],
    ] as const) {
      expect(decide({ status, executionStatus, statusDetail })).not.toHaveProperty('products');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// RULES, the data the decision and the generated spec read
// ---------------------------------------------------------------------------------------------

describe('RULES', () => {
  it('lists R0..R17 in order, once each', () => {
    const ids = RULES.map((rule) => rule.id);
    expect(ids).toEqual(Array.from({ length: 18 }, (_, index) => `R${index}`));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(RULES.map((rule) => [rule.id, rule] as const))('%s has a non-empty summary and at least one clause', (_id, rule) => {
    expect(typeof rule.summary).toBe('string');
    expect(rule.summary.trim()).not.toBe('');
    expect(rule.when.length).toBeGreaterThan(0);
  });

  it('names only known executionStatus and status values', () => {
    const executions: ReadonlySet<string> = new Set(EXECUTION_STATUSES);
    const statuses: ReadonlySet<string> = new Set(ITEM_STATUSES);
    for (const rule of RULES) {
      for (const clause of rule.when as ReadonlyArray<{ status?: readonly string[]; executionStatus?: readonly string[] }>) {
        for (const value of clause.executionStatus ?? []) expect({ rule: rule.id, executionStatus: value, known: executions.has(value) }).toMatchObject({ known: true });
        for (const value of clause.status ?? []) expect({ rule: rule.id, status: value, known: statuses.has(value) }).toMatchObject({ known: true });
      }
    }
  });

  it('agrees with the DESIGN table on each rule’s phase and remedy/awaiting/warning', () => {
    const representative: Record<string, Expected> = {};
    for (const [id, , input] of RULE_EXAMPLES) representative[id] = referenceDecision(input.status, input.executionStatus, input.deleted === true);
    for (const rule of RULES) {
      const expected = representative[rule.id]!;
      const asData = rule as { phase: string; remedy?: string; awaiting?: string; warning?: string };
      expect({ id: rule.id, phase: asData.phase, remedy: asData.remedy, awaiting: asData.awaiting, warning: asData.warning }).toEqual({
        id: rule.id,
        phase: expected.phase,
        remedy: expected.remedy,
        awaiting: expected.awaiting,
        warning: expected.warning,
      });
    }
  });

  it('each decision reason starts with its rule id and that rule’s summary', () => {
    for (const [, , input] of RULE_EXAMPLES) {
      const decision = decide(input);
      const rule = RULES.find((candidate) => candidate.id === decision.rule)!;
      expect(decision.reason.startsWith(`${rule.id}: ${rule.summary}`)).toBe(true);
    }
  });
});
