/**
 * Parsing Pluggy's inputs: item snapshots (`GET /items/{id}`) and webhook payloads, and the
 * vocabulary constants the library ships. Contract: DESIGN.md "Inputs".
 */
import {
  EXECUTION_STATUSES,
  ITEM_STATUSES,
  InputError,
  parseItem,
  parseWebhook,
  safeParseItem,
  safeParseWebhook,
  type InputIssue,
} from '../src/index';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** An item as Pluggy's `GET /items/{id}` returns it (JSON: dates are ISO strings), with API-only extras. */
function pluggyItemJson(): Record<string, unknown> {
  return {
    id: '3f0c9d2e-6b1a-4c7e-9a55-2d8f1e4b7c90',
    connector: {
      id: 601,
      name: 'Itaú',
      primaryColor: 'EC7000',
      institutionUrl: 'https://www.itau.com.br',
      country: 'BR',
      type: 'PERSONAL_BANK',
      credentials: [],
      imageUrl: 'https://cdn.pluggy.ai/assets/connector-icons/201.svg',
      hasMFA: false,
      oauth: true,
      oauthUrl: 'https://api.pluggy.ai/oauth/601',
      health: { status: 'ONLINE', stage: null },
      products: ['ACCOUNTS', 'CREDIT_CARDS', 'TRANSACTIONS', 'INVESTMENTS', 'IDENTITY'],
      createdAt: '2022-05-10T13:21:00.000Z',
      isSandbox: false,
      isOpenFinance: true,
      updatedAt: '2024-02-01T10:00:00.000Z',
      supportsPaymentInitiation: true,
    },
    createdAt: '2024-03-04T12:00:00.000Z',
    updatedAt: '2024-03-05T08:15:30.123Z',
    status: 'UPDATED',
    executionStatus: 'SUCCESS',
    lastUpdatedAt: '2024-03-05T08:15:29.000Z',
    webhookUrl: 'https://example.com/webhooks/pluggy',
    error: null,
    clientUserId: 'user-42',
    consecutiveFailedLoginAttempts: 0,
    statusDetail: null,
    parameter: null,
    userAction: null,
    nextAutoSyncAt: '2024-03-06T08:15:30.000Z',
    consentExpiresAt: null,
    // API-only fields that pluggy-sdk does not type:
    products: ['ACCOUNTS', 'TRANSACTIONS'],
    oauthRedirectUri: 'https://example.com/oauth/callback',
    autoSyncDisabledAt: null,
  };
}

/** The smallest valid item: the four required fields. */
function minimalItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'item-1',
    status: 'UPDATED',
    executionStatus: 'SUCCESS',
    updatedAt: '2024-03-05T08:15:30.000Z',
    ...overrides,
  };
}

function without(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = object;
  return rest;
}

/** Runs `parse` expecting an InputError, and returns it. */
function rejection(parse: () => unknown): InputError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the input to be rejected with an InputError, but it parsed');
}

function issueAt(error: InputError, path: string): InputIssue {
  const found = error.issues.find((issue) => issue.path === path);
  if (!found) throw new Error(`no issue at ${path}; issues: ${JSON.stringify(error.issues)}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Item snapshots
// ---------------------------------------------------------------------------------------------

describe('parsing an item snapshot', () => {
  it("parses Pluggy's documented GET /items/{id} JSON and turns its dates into Dates", () => {
    const result = safeParseItem(pluggyItemJson());
    if (!result.success) throw result.error;
    const item = result.data;

    expect(item.id).toBe('3f0c9d2e-6b1a-4c7e-9a55-2d8f1e4b7c90');
    expect(item.status).toBe('UPDATED');
    expect(item.executionStatus).toBe('SUCCESS');
    expect(item.connector).toMatchObject({ id: 601, name: 'Itaú', isOpenFinance: true });
    expect(item.updatedAt).toBeInstanceOf(Date);
    expect(item.updatedAt.toISOString()).toBe('2024-03-05T08:15:30.123Z');
    expect(item.createdAt).toEqual(new Date('2024-03-04T12:00:00.000Z'));
    expect(item.lastUpdatedAt).toEqual(new Date('2024-03-05T08:15:29.000Z'));
    expect(item.nextAutoSyncAt).toEqual(new Date('2024-03-06T08:15:30.000Z'));
    expect(item.consentExpiresAt).toBeNull();
    expect(item.error).toBeNull();
    expect(item.parameter).toBeNull();
    expect(item.userAction).toBeNull();
    expect(item.statusDetail).toBeNull();
    expect(item.clientUserId).toBe('user-42');
    expect(item.consecutiveFailedLoginAttempts).toBe(0);
    expect(result.warnings).toEqual([]);
  });

  it('drops fields the library does not know instead of rejecting them', () => {
    const item = parseItem({ ...pluggyItemJson(), someFieldPluggyAddsNextYear: { nested: true } });
    expect(item).not.toHaveProperty('webhookUrl');
    expect(item).not.toHaveProperty('products');
    expect(item).not.toHaveProperty('oauthRedirectUri');
    expect(item).not.toHaveProperty('autoSyncDisabledAt');
    expect(item).not.toHaveProperty('someFieldPluggyAddsNextYear');
  });

  it('parses an item with only the required fields', () => {
    const item = parseItem(minimalItem());
    expect(item).toEqual({
      id: 'item-1',
      status: 'UPDATED',
      executionStatus: 'SUCCESS',
      updatedAt: new Date('2024-03-05T08:15:30.000Z'),
    });
  });

  it('accepts dates as ISO strings or as Date objects (as pluggy-sdk revives them)', () => {
    const asDate = parseItem({
      ...pluggyItemJson(),
      updatedAt: new Date('2024-03-05T08:15:30.123Z'),
      createdAt: new Date('2024-03-04T12:00:00.000Z'),
      lastUpdatedAt: new Date('2024-03-05T08:15:29.000Z'),
    });
    const asString = parseItem(pluggyItemJson());
    expect(asDate.updatedAt).toEqual(asString.updatedAt);
    expect(asDate.createdAt).toEqual(asString.createdAt);
    expect(asDate.lastUpdatedAt).toEqual(asString.lastUpdatedAt);
  });

  it.each([
    ['with milliseconds and Z', '2024-03-05T08:15:30.123Z', '2024-03-05T08:15:30.123Z'],
    ['without milliseconds', '2024-03-05T08:15:30Z', '2024-03-05T08:15:30.000Z'],
    ['with a UTC offset', '2024-03-05T05:15:30-03:00', '2024-03-05T08:15:30.000Z'],
    ['as a calendar date', '2024-03-05', '2024-03-05T00:00:00.000Z'],
  ])('accepts an ISO 8601 updatedAt %s', (_label, text, expected) => {
    expect(parseItem(minimalItem({ updatedAt: text })).updatedAt.toISOString()).toBe(expected);
  });

  it('parses the same item given as JSON text', () => {
    const fromText = parseItem(JSON.stringify(pluggyItemJson()));
    expect(fromText).toEqual(parseItem(pluggyItemJson()));
    expect(fromText.updatedAt).toBeInstanceOf(Date);
  });

  it('keeps MFA parameter, user action and execution error details, with their deadlines as Dates', () => {
    const item = parseItem(
      minimalItem({
        status: 'WAITING_USER_INPUT',
        executionStatus: 'WAITING_USER_INPUT',
        parameter: {
          name: 'token',
          label: 'Token',
          type: 'number',
          mfa: true,
          expiresAt: '2024-03-05T08:20:30.000Z',
        },
        userAction: { type: 'qr', instructions: 'Scan the QR code', attributes: { qr: 'abc' }, expiresAt: null },
        error: { code: 'INVALID_CREDENTIALS_MFA', message: 'Invalid token', providerMessage: 'Token inválido' },
      }),
    );
    expect(item.parameter).toMatchObject({ name: 'token', label: 'Token', type: 'number', mfa: true });
    expect(item.parameter?.expiresAt).toEqual(new Date('2024-03-05T08:20:30.000Z'));
    expect(item.userAction).toMatchObject({ type: 'qr', instructions: 'Scan the QR code', attributes: { qr: 'abc' } });
    expect(item.userAction?.expiresAt).toBeNull();
    expect(item.error).toEqual({ code: 'INVALID_CREDENTIALS_MFA', message: 'Invalid token', providerMessage: 'Token inválido' });
  });

  it('parses a PARTIAL_SUCCESS statusDetail with per-product dates and warnings', () => {
    const item = parseItem(
      minimalItem({
        executionStatus: 'PARTIAL_SUCCESS',
        statusDetail: {
          accounts: { isUpdated: true, lastUpdatedAt: '2024-03-05T08:15:00.000Z' },
          creditCards: { isUpdated: false, lastUpdatedAt: '2024-02-01T00:00:00.000Z' },
          investments: {
            isUpdated: false,
            lastUpdatedAt: null,
            warnings: [{ code: '001', message: 'You lack permissions to view Investments on this account' }],
          },
          paymentData: null,
        },
      }),
    );
    expect(item.statusDetail?.accounts).toEqual({ isUpdated: true, lastUpdatedAt: new Date('2024-03-05T08:15:00.000Z') });
    expect(item.statusDetail?.creditCards?.lastUpdatedAt).toEqual(new Date('2024-02-01T00:00:00.000Z'));
    expect(item.statusDetail?.investments?.warnings?.[0]?.code).toBe('001');
    expect(item.statusDetail?.paymentData).toBeNull();
  });
});

describe('rejecting a malformed item snapshot', () => {
  it('reports malformed JSON text as an InputError saying so', () => {
    const text = '{"id": "item-1", "status": ';
    const error = rejection(() => parseItem(text));
    expect(error.kind).toBe('item');
    expect(error.message).toMatch(/malformed JSON/);
    expect(error.issues[0]?.path).toBe('(root)');
    expect(error.input).toBe(text);
  });

  it.each(['id', 'status', 'executionStatus', 'updatedAt'])('a missing required %s is named, with "missing" as what was received', (field) => {
    const error = rejection(() => parseItem(without(minimalItem(), field)));
    expect(error.kind).toBe('item');
    const found = issueAt(error, field);
    expect(found.received).toMatch(/missing/);
    expect(found.expected).not.toBe('');
    expect(found.message).toContain(field);
    expect(error.message).toContain(field);
  });

  it('names the field, the expectation and the value when an id is empty', () => {
    const error = rejection(() => parseItem(minimalItem({ id: '   ' })));
    const found = issueAt(error, 'id');
    expect(found.expected).toMatch(/non-empty string/);
    expect(found.received).toContain('"   "');
  });

  it('names the field, the expectation and the value when a number is given as status', () => {
    const error = rejection(() => parseItem(minimalItem({ status: 5 })));
    expect(error.kind).toBe('item');
    const found = issueAt(error, 'status');
    expect(found.expected).toMatch(/status/);
    expect(found.expected).toContain('UPDATED');
    expect(found.received).toBe('the number 5');
    expect(found.message).toContain('status');
    expect(found.message).toContain('the number 5');
  });

  it('names the field, the expectation and the value when updatedAt is not a date ("yesterday")', () => {
    const error = rejection(() => parseItem(minimalItem({ updatedAt: 'yesterday' })));
    const found = issueAt(error, 'updatedAt');
    expect(found.expected).toMatch(/ISO 8601/);
    expect(found.received).toBe('the string "yesterday"');
    expect(found.message).toMatch(/updatedAt.*ISO 8601.*yesterday/);
  });

  // Regression: zod v4 replaces an empty custom-issue message with "Invalid input"; the sentence
  // a person reads must still name the expectation and the value.
  it.each([
    ['a number as status', { status: 5 }, 'status', 'the number 5'],
    ['"yesterday" as updatedAt', { updatedAt: 'yesterday' }, 'updatedAt', 'the string "yesterday"'],
    ['a missing id', { id: undefined }, 'id', 'missing'],
  ])('the error message a person reads names the expectation and the value for %s', (_label, overrides, field, received) => {
    const error = rejection(() => parseItem(minimalItem(overrides)));
    const found = issueAt(error, field);
    expect(found.message).toContain(found.expected);
    expect(found.message).toContain(received);
    expect(error.message).toContain(received);
  });

  it.each([
    ['an impossible calendar date', '2024-13-45T00:00:00Z'],
    ['an invalid Date object', new Date('nope')],
    ['a unix timestamp number', 1709626530000],
  ])('rejects %s as updatedAt', (_label, value) => {
    const error = rejection(() => parseItem(minimalItem({ updatedAt: value })));
    expect(issueAt(error, 'updatedAt').expected).toMatch(/ISO 8601/);
  });

  it.each([
    ['the number 42', 42, 'the number 42'],
    ['null', null, 'null'],
    ['an array', [], 'an array of 0'],
    ['a boolean', true, 'the boolean true'],
  ])('rejects %s as a whole input, naming the root', (_label, value, received) => {
    const error = rejection(() => parseItem(value));
    expect(error.kind).toBe('item');
    const found = issueAt(error, '(root)');
    expect(found.expected).toMatch(/object/);
    expect(found.received).toBe(received);
  });

  it('names nested field paths (parameter.expiresAt, statusDetail.accounts.isUpdated, connector.isOpenFinance)', () => {
    const error = rejection(() =>
      parseItem(
        minimalItem({
          parameter: { name: 'token', expiresAt: 'tomorrow' },
          statusDetail: { accounts: { isUpdated: 'yes', lastUpdatedAt: null } },
          connector: { id: 1, isOpenFinance: 'true' },
        }),
      ),
    );
    expect(issueAt(error, 'parameter.expiresAt').received).toBe('the string "tomorrow"');
    const isUpdated = issueAt(error, 'statusDetail.accounts.isUpdated');
    expect(isUpdated.expected).toMatch(/boolean/);
    expect(isUpdated.received).toBe('the string "yes"');
    expect(issueAt(error, 'connector.isOpenFinance').expected).toMatch(/boolean/);
  });

  it('reports every bad field at once', () => {
    const error = rejection(() => parseItem({ id: 7, status: 'PARTIAL_SUCCESS', executionStatus: 'UPDATED' }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['executionStatus', 'id', 'status', 'updatedAt']);
  });

  it('a status value given as executionStatus is named as that mistake', () => {
    const error = rejection(() => parseItem(minimalItem({ executionStatus: 'UPDATED' })));
    expect(issueAt(error, 'executionStatus').message).toContain('UPDATED is a status, not an executionStatus');
    expect(error.message).toContain('UPDATED is a status, not an executionStatus');
  });

  it('an executionStatus value given as status is named as that mistake', () => {
    const error = rejection(() => parseItem(minimalItem({ status: 'PARTIAL_SUCCESS' })));
    expect(issueAt(error, 'status').message).toContain('PARTIAL_SUCCESS is an executionStatus, not a status');
    expect(error.message).toContain('PARTIAL_SUCCESS is an executionStatus, not a status');
  });

  it.each([
    ['status', 'SUCCESS', 'SUCCESS is an executionStatus, not a status'],
    ['status', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS is an executionStatus, not a status'],
    ['executionStatus', 'OUTDATED', 'OUTDATED is a status, not an executionStatus'],
    ['executionStatus', 'LOGIN_ERROR', 'LOGIN_ERROR is a status, not an executionStatus'],
  ])('%s %s is named as a value of the other field', (field, value, expected) => {
    const error = rejection(() => parseItem(minimalItem({ [field]: value })));
    expect(issueAt(error, field).message).toContain(expected);
  });

  it('WAITING_USER_INPUT and WAITING_USER_ACTION are valid in both fields', () => {
    for (const value of ['WAITING_USER_INPUT', 'WAITING_USER_ACTION']) {
      expect(parseItem(minimalItem({ status: value, executionStatus: value }))).toMatchObject({ status: value, executionStatus: value });
    }
  });

  it('keeps the rejected value in error.input, by reference', () => {
    const input = minimalItem({ status: 'SOMETHING_NEW' });
    const result = safeParseItem(input);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.input).toBe(input);
    expect(rejection(() => parseItem(input)).input).toBe(input);
  });
});

describe('unknown vocabulary values in an item (values Pluggy adds later)', () => {
  it.each(['status', 'executionStatus'])('rejects an unknown %s in strict mode, the default', (field) => {
    const error = rejection(() => parseItem(minimalItem({ [field]: 'SOMETHING_NEW' })));
    const found = issueAt(error, field);
    expect(found.message).toContain('SOMETHING_NEW');
    expect(found.message).toMatch(/lenient/);
    expect(found.received).toBe('the string "SOMETHING_NEW"');
    // explicit strict behaves like the default
    expect(safeParseItem(minimalItem({ [field]: 'SOMETHING_NEW' }), { parsing: 'strict' }).success).toBe(false);
  });

  it.each(['status', 'executionStatus'])('accepts an unknown %s in lenient mode and warns, naming the field', (field) => {
    const result = safeParseItem(minimalItem({ [field]: 'SOMETHING_NEW' }), { parsing: 'lenient' });
    if (!result.success) throw result.error;
    expect(result.data[field as 'status' | 'executionStatus']).toBe('SOMETHING_NEW');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ path: field, value: 'SOMETHING_NEW' });
    expect(result.warnings[0]?.message).toContain(field);
    expect(result.warnings[0]?.message).toContain('SOMETHING_NEW');
  });

  it('parseItem in lenient mode returns the unknown value', () => {
    expect(parseItem(minimalItem({ executionStatus: 'SOMETHING_NEW' }), { parsing: 'lenient' }).executionStatus).toBe('SOMETHING_NEW');
  });

  it('lenient mode still names a status/executionStatus mix-up in its warning', () => {
    const result = safeParseItem(minimalItem({ status: 'PARTIAL_SUCCESS' }), { parsing: 'lenient' });
    if (!result.success) throw result.error;
    expect(result.warnings).toEqual([expect.objectContaining({ path: 'status', value: 'PARTIAL_SUCCESS' })]);
    expect(result.warnings[0]?.message).toContain('PARTIAL_SUCCESS is an executionStatus, not a status');
  });

  it.each([
    ['a number', 5],
    ['an empty string', ''],
    ['null', null],
    ['an object', {}],
  ])('lenient mode still rejects %s as status', (_label, value) => {
    const result = safeParseItem(minimalItem({ status: value }), { parsing: 'lenient' });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.issues.map((issue) => issue.path)).toContain('status');
  });

  it('lenient mode still rejects a missing id or updatedAt', () => {
    expect(safeParseItem(without(minimalItem(), 'id'), { parsing: 'lenient' }).success).toBe(false);
    expect(safeParseItem(without(minimalItem(), 'updatedAt'), { parsing: 'lenient' }).success).toBe(false);
  });
});

const GARBAGE: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['an empty array', []],
  ['an array of items', [minimalItem()]],
  ['an empty string', ''],
  ['a whitespace string', '   '],
  ['a truncated JSON text', '{'],
  ['JSON text of null', 'null'],
  ['JSON text of a number', '123'],
  ['plain text', 'hello'],
  ['a number', 123],
  ['NaN', Number.NaN],
  ['a bigint', 10n],
  ['a boolean', false],
  ['a symbol', Symbol('item')],
  ['a function', () => minimalItem()],
  ['a Date', new Date('2024-03-05T00:00:00Z')],
  ['an empty object', {}],
  ['an object whose status is an object', { status: {} }],
  ['an object whose fields are all null', { id: null, status: null, executionStatus: null, updatedAt: null, eventId: null, event: null }],
  ['an object whose fields are arrays', { id: [], status: [], executionStatus: [], updatedAt: [], event: [], eventId: [] }],
  ['an object with a prototype-less shape', Object.assign(Object.create(null) as object, { status: 'UPDATED' })],
  ['an item with a bad nested statusDetail', minimalItem({ statusDetail: { accounts: 'fresh' } })],
  ['a webhook with the wrong types', { event: 42, eventId: {}, itemId: 7 }],
];

describe('garbage never crashes the safe parsers', () => {
  it.each(GARBAGE)('safeParseItem returns a failure for %s without throwing', (_label, value) => {
    let result: ReturnType<typeof safeParseItem> | undefined;
    expect(() => {
      result = safeParseItem(value);
    }).not.toThrow();
    expect(result?.success).toBe(false);
    if (result && !result.success) {
      expect(result.error).toBeInstanceOf(InputError);
      expect(result.error.kind).toBe('item');
      expect(result.error.issues.length).toBeGreaterThan(0);
      expect(result.error.input).toBe(value);
    }
    expect(() => safeParseItem(value, { parsing: 'lenient' })).not.toThrow();
  });

  it.each(GARBAGE)('parseItem throws an InputError for %s', (_label, value) => {
    const error = rejection(() => parseItem(value));
    expect(error.kind).toBe('item');
    expect(error.input).toBe(value);
    expect(() => parseItem(value, { parsing: 'lenient' })).toThrow(InputError);
  });

  it.each(GARBAGE)('safeParseWebhook returns a failure for %s without throwing', (_label, value) => {
    let result: ReturnType<typeof safeParseWebhook> | undefined;
    expect(() => {
      result = safeParseWebhook(value);
    }).not.toThrow();
    expect(result?.success).toBe(false);
    if (result && !result.success) {
      expect(result.error).toBeInstanceOf(InputError);
      expect(result.error.kind).toBe('webhook');
      expect(result.error.input).toBe(value);
    }
    expect(() => safeParseWebhook(value, { parsing: 'lenient' })).not.toThrow();
  });

  it.each(GARBAGE)('parseWebhook throws an InputError for %s', (_label, value) => {
    const error = rejection(() => parseWebhook(value));
    expect(error.kind).toBe('webhook');
    expect(error.input).toBe(value);
  });

  it('every issue of a rejected input has a path, an expectation, a received value and a message', () => {
    for (const [, value] of GARBAGE) {
      for (const parse of [safeParseItem, safeParseWebhook]) {
        const result = parse(value);
        if (result.success) continue;
        for (const found of result.error.issues) {
          expect(found.path).not.toBe('');
          expect(found.expected).not.toBe('');
          expect(found.received).not.toBe('');
          expect(found.message).toContain(found.path === '(root)' ? '(root)' : found.path);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Vocabulary constants
// ---------------------------------------------------------------------------------------------

/** DESIGN.md "Inputs" and domain reference §1.1. */
const DESIGN_ITEM_STATUSES = ['UPDATED', 'UPDATING', 'WAITING_USER_INPUT', 'WAITING_USER_ACTION', 'MERGING', 'LOGIN_ERROR', 'OUTDATED'];

/** Domain reference §1.2 (pluggy-sdk 0.90) plus the two values of other Pluggy SDKs. */
const DESIGN_EXECUTION_STATUSES = [
  // pre-execution
  'CREATING', 'CREATE_ERROR', 'CREATED',
  // connector progress
  'LOGIN_IN_PROGRESS', 'WAITING_USER_INPUT', 'WAITING_USER_ACTION', 'LOGIN_MFA_IN_PROGRESS', 'ACCOUNTS_IN_PROGRESS',
  'TRANSACTIONS_IN_PROGRESS', 'PAYMENT_DATA_IN_PROGRESS', 'CREDITCARDS_IN_PROGRESS', 'INVESTMENTS_IN_PROGRESS',
  'INVESTMENTS_TRANSACTIONS_IN_PROGRESS', 'IDENTITY_IN_PROGRESS', 'LOANS_IN_PROGRESS', 'ACCOUNT_STATEMENTS_IN_PROGRESS',
  // error codes
  'INVALID_CREDENTIALS', 'ALREADY_LOGGED_IN', 'UNEXPECTED_ERROR', 'INVALID_CREDENTIALS_MFA', 'SITE_NOT_AVAILABLE',
  'ACCOUNT_LOCKED', 'ACCOUNT_CREDENTIALS_RESET', 'CONNECTION_ERROR', 'ACCOUNT_NEEDS_ACTION', 'USER_AUTHORIZATION_PENDING',
  'USER_AUTHORIZATION_NOT_GRANTED', 'USER_NOT_SUPPORTED', 'USER_INPUT_TIMEOUT',
  // other finished outcomes
  'MERGE_ERROR', 'ERROR', 'SUCCESS', 'PARTIAL_SUCCESS',
  // other SDKs
  'USER_AUTHORIZATION_REVOKED', 'FINISHED',
];

/** Every executionStatus the DESIGN.md R-table names. */
const R_TABLE_EXECUTION_STATUSES = [
  'USER_INPUT_TIMEOUT', 'INVALID_CREDENTIALS', 'ACCOUNT_CREDENTIALS_RESET', 'INVALID_CREDENTIALS_MFA', 'SITE_NOT_AVAILABLE',
  'ALREADY_LOGGED_IN', 'ERROR', 'CONNECTION_ERROR', 'UNEXPECTED_ERROR', 'MERGE_ERROR', 'CREATE_ERROR', 'ACCOUNT_LOCKED',
  'ACCOUNT_NEEDS_ACTION', 'USER_AUTHORIZATION_NOT_GRANTED', 'USER_AUTHORIZATION_REVOKED', 'USER_NOT_SUPPORTED',
  'WAITING_USER_INPUT', 'WAITING_USER_ACTION', 'USER_AUTHORIZATION_PENDING', 'CREATING', 'CREATED', 'LOGIN_IN_PROGRESS',
  'LOGIN_MFA_IN_PROGRESS', 'SUCCESS', 'PARTIAL_SUCCESS',
];

describe('vocabulary constants', () => {
  it('ITEM_STATUSES holds exactly the 7 statuses of the design', () => {
    expect(ITEM_STATUSES).toHaveLength(7);
    expect([...ITEM_STATUSES].sort()).toEqual([...DESIGN_ITEM_STATUSES].sort());
  });

  it('EXECUTION_STATUSES holds 35 unique values: the SDK 0.90 ones plus USER_AUTHORIZATION_REVOKED and FINISHED', () => {
    expect(EXECUTION_STATUSES).toHaveLength(35);
    expect(new Set(EXECUTION_STATUSES).size).toBe(35);
    expect(EXECUTION_STATUSES).toContain('USER_AUTHORIZATION_REVOKED');
    expect(EXECUTION_STATUSES).toContain('FINISHED');
    expect([...EXECUTION_STATUSES].sort()).toEqual([...DESIGN_EXECUTION_STATUSES].sort());
  });

  it.each(R_TABLE_EXECUTION_STATUSES)('EXECUTION_STATUSES includes %s, named by the R-table', (value) => {
    expect(EXECUTION_STATUSES).toContain(value);
  });

  it('no value is both a status and an executionStatus, except WAITING_USER_INPUT and WAITING_USER_ACTION', () => {
    const executionStatuses: ReadonlySet<string> = new Set(EXECUTION_STATUSES);
    const shared = ITEM_STATUSES.filter((status) => executionStatuses.has(status));
    expect([...shared].sort()).toEqual(['WAITING_USER_ACTION', 'WAITING_USER_INPUT']);
  });

  it.each([...ITEM_STATUSES])('every status parses strictly: %s', (status) => {
    const executionStatus = status === 'WAITING_USER_ACTION' ? 'WAITING_USER_ACTION' : 'SUCCESS';
    expect(parseItem(minimalItem({ status, executionStatus })).status).toBe(status);
  });

  it.each([...EXECUTION_STATUSES])('every executionStatus parses strictly: %s', (executionStatus) => {
    expect(parseItem(minimalItem({ status: 'OUTDATED', executionStatus })).executionStatus).toBe(executionStatus);
  });
});

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

const ITEM_ID = '3f0c9d2e-6b1a-4c7e-9a55-2d8f1e4b7c90';

/** Payloads as Pluggy documents them (domain reference §2.1). */
const DOCUMENTED_WEBHOOKS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['item/created', { id: ITEM_ID, eventId: 'evt-001', event: 'item/created', itemId: ITEM_ID, triggeredBy: 'USER', clientUserId: 'user-42' }],
  ['item/updated', { id: ITEM_ID, eventId: 'evt-002', event: 'item/updated', itemId: ITEM_ID, triggeredBy: 'SYNC' }],
  [
    'item/error',
    {
      id: ITEM_ID,
      eventId: 'evt-003',
      event: 'item/error',
      itemId: ITEM_ID,
      triggeredBy: 'SYNC',
      error: { code: 'USER_INPUT_TIMEOUT', message: 'User requested input had expired' },
      parameter: 'token',
    },
  ],
  ['item/deleted', { id: ITEM_ID, eventId: 'evt-004', event: 'item/deleted', itemId: ITEM_ID }],
  ['item/waiting_user_input', { id: ITEM_ID, eventId: 'evt-005', event: 'item/waiting_user_input', itemId: ITEM_ID, triggeredBy: 'USER' }],
  ['item/waiting_user_action', { id: ITEM_ID, eventId: 'evt-006', event: 'item/waiting_user_action', itemId: ITEM_ID, triggeredBy: 'USER' }],
  ['item/login_succeeded', { id: ITEM_ID, eventId: 'evt-007', event: 'item/login_succeeded', itemId: ITEM_ID, triggeredBy: 'CLIENT' }],
  ['connector/status_updated', { id: '201', eventId: 'evt-008', event: 'connector/status_updated', data: { status: 'UNSTABLE' } }],
  [
    'transactions/created',
    {
      id: ITEM_ID,
      eventId: 'evt-009',
      event: 'transactions/created',
      itemId: ITEM_ID,
      accountId: '0b8a1f1e-2a0f-4e39-8c2c-5c3c8b1c1a11',
      transactionsCreatedAtFrom: '2024-03-05T08:15:30.000Z',
      createdTransactionsLink: `https://api.pluggy.ai/transactions?accountId=0b8a&createdAtFrom=2024-03-05T08:15:30.000Z`,
      transactionsCount: 12,
    },
  ],
  [
    'transactions/updated',
    { id: ITEM_ID, eventId: 'evt-010', event: 'transactions/updated', itemId: ITEM_ID, clientId: 'client-1', accountId: 'acc-1', transactionIds: ['t1', 't2'] },
  ],
  [
    'transactions/deleted',
    { id: ITEM_ID, eventId: 'evt-011', event: 'transactions/deleted', itemId: ITEM_ID, clientId: 'client-1', accountId: 'acc-1', transactionIds: ['t3'] },
  ],
];

describe('parsing a webhook payload', () => {
  it.each(DOCUMENTED_WEBHOOKS)('parses the documented %s payload', (event, payload) => {
    const result = safeParseWebhook(payload);
    if (!result.success) throw result.error;
    expect(result.data).toMatchObject({ event, eventId: payload.eventId });
    expect(result.warnings).toEqual([]);
    // the same payload as the JSON text of a request body
    expect(parseWebhook(JSON.stringify(payload))).toEqual(result.data);
  });

  it('keeps the item/error code and message', () => {
    const payload = DOCUMENTED_WEBHOOKS.find(([event]) => event === 'item/error')![1];
    expect(parseWebhook(payload)).toMatchObject({
      itemId: ITEM_ID,
      error: { code: 'USER_INPUT_TIMEOUT', message: 'User requested input had expired' },
    });
  });

  it('keeps the connector/status_updated data and fields the library does not read', () => {
    const payload = DOCUMENTED_WEBHOOKS.find(([event]) => event === 'connector/status_updated')![1];
    expect(parseWebhook(payload)).toMatchObject({ data: { status: 'UNSTABLE' }, id: '201' });
    const transactions = DOCUMENTED_WEBHOOKS.find(([event]) => event === 'transactions/created')![1];
    expect(parseWebhook(transactions)).toMatchObject({ accountId: transactions.accountId, transactionsCount: 12 });
  });

  it('accepts an item/error whose code is outside the execution-status vocabulary', () => {
    const payload = { eventId: 'evt-x', event: 'item/error', itemId: ITEM_ID, error: { code: 'CONNECTOR_OFFLINE', message: 'offline' } };
    expect(parseWebhook(payload).error?.code).toBe('CONNECTOR_OFFLINE');
  });

  it.each([['CLIENT'], ['USER'], ['SYNC'], ['INTERNAL'], [null]])('accepts triggeredBy %p', (triggeredBy) => {
    expect(parseWebhook({ eventId: 'evt-t', event: 'item/updated', itemId: ITEM_ID, triggeredBy }).triggeredBy).toBe(triggeredBy);
  });

  it('accepts a payload without triggeredBy', () => {
    expect(parseWebhook({ eventId: 'evt-t', event: 'item/updated', itemId: ITEM_ID }).triggeredBy).toBeUndefined();
  });

  it('rejects an unknown triggeredBy strictly, naming the field', () => {
    const error = rejection(() => parseWebhook({ eventId: 'evt-t', event: 'item/updated', itemId: ITEM_ID, triggeredBy: 'ROBOT' }));
    expect(error.kind).toBe('webhook');
    expect(error.issues.map((issue) => issue.path)).toContain('triggeredBy');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 17],
  ])('an eventId that is %s is an error naming eventId', (_label, eventId) => {
    const payload: Record<string, unknown> = { event: 'item/updated', itemId: ITEM_ID };
    if (eventId !== undefined) payload.eventId = eventId;
    const error = rejection(() => parseWebhook(payload));
    expect(error.kind).toBe('webhook');
    const found = issueAt(error, 'eventId');
    expect(found.message).toContain('eventId');
    expect(found.message).toContain(found.expected);
    expect(found.message).toContain(found.received);
    expect(error.message).toContain('eventId');
    expect(error.input).toBe(payload);
  });

  it.each([...DOCUMENTED_WEBHOOKS.map(([event]) => event).filter((event) => event.startsWith('item/'))])(
    'an %s event without itemId is an error naming itemId',
    (event) => {
      const error = rejection(() => parseWebhook({ eventId: 'evt-n', event }));
      const found = issueAt(error, 'itemId');
      expect(found.message).toContain('itemId');
      expect(found.received).toMatch(/missing|nothing/);
      expect(found.expected).toContain(event);
    },
  );

  it('connector/status_updated needs no itemId', () => {
    expect(safeParseWebhook({ eventId: 'evt-c', event: 'connector/status_updated', data: { status: 'OFFLINE' } }).success).toBe(true);
  });

  it('rejects an unknown event in strict mode, naming the event', () => {
    const error = rejection(() => parseWebhook({ eventId: 'evt-u', event: 'item/teleported', itemId: ITEM_ID }));
    const found = issueAt(error, 'event');
    expect(found.message).toContain('item/teleported');
    expect(found.received).toBe('the string "item/teleported"');
  });

  it('accepts an unknown event in lenient mode with a warning naming the event field', () => {
    const result = safeParseWebhook({ eventId: 'evt-u', event: 'payment_intent/created', paymentIntentId: 'pi-1' }, { parsing: 'lenient' });
    if (!result.success) throw result.error;
    expect(result.data.event).toBe('payment_intent/created');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ path: 'event', value: 'payment_intent/created' });
    expect(result.warnings[0]?.message).toContain('event');
  });

  it('lenient mode still requires itemId on an unknown item/* event', () => {
    const result = safeParseWebhook({ eventId: 'evt-u', event: 'item/teleported' }, { parsing: 'lenient' });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error.issues.map((issue) => issue.path)).toContain('itemId');
  });

  it.each([
    ['missing', undefined],
    ['a number', 3],
    ['empty', ''],
  ])('an event that is %s is an error naming event', (_label, event) => {
    const payload: Record<string, unknown> = { eventId: 'evt-e', itemId: ITEM_ID };
    if (event !== undefined) payload.event = event;
    expect(issueAt(rejection(() => parseWebhook(payload)), 'event').message).toContain('event');
  });

  it('reports a malformed JSON body as malformed JSON', () => {
    const body = '{"event":"item/updated",';
    const error = rejection(() => parseWebhook(body));
    expect(error.kind).toBe('webhook');
    expect(error.message).toMatch(/malformed JSON/);
    expect(error.input).toBe(body);
  });
});
