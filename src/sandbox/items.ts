/**
 * The sandbox's items: each runs its user's script (./users) one execution at a time. Every
 * change bumps `updatedAt` (strictly increasing, so ordering by it always works), publishes a
 * frozen snapshot and sends the matching webhooks.
 */
import { randomUUID } from 'node:crypto';
import { sandboxAccounts } from './accounts';
import { CONNECTORS } from './connectors';
import { OPEN_FINANCE_CONNECTOR_ID, DIRECT_CONNECTOR_ID } from './constants';
import { badRequest, itemNotFound } from './errors';
import type { TimerGroup, Timers } from './timers';
import type {
  AccountJson,
  CredentialJson,
  ExecutionErrorCode,
  ExecutionErrorJson,
  IsoDate,
  ItemJson,
  ItemWebhookEvent,
  StatusDetailJson,
  TriggeredBy,
  WebhookPayloadJson,
} from './types';
import { isSandboxUser, SANDBOX_USERS, USER_SCRIPTS, type ExecutionControl, type SandboxUser } from './users';
import type { WebhookDispatcher } from './webhooks';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ERRORS: Readonly<Partial<Record<ExecutionErrorCode, Omit<ExecutionErrorJson, 'code'>>>> = {
  INVALID_CREDENTIALS: { message: 'Invalid credentials, please check them and try again', providerMessage: 'Usuário ou senha inválidos' },
  INVALID_CREDENTIALS_MFA: { message: 'The MFA token provided is invalid', providerMessage: 'Token inválido' },
  ACCOUNT_LOCKED: { message: 'The account is locked at the institution', providerMessage: 'Conta bloqueada, procure sua agência' },
  SITE_NOT_AVAILABLE: { message: 'The institution is unavailable right now, please try again later' },
  USER_INPUT_TIMEOUT: { message: 'User requested input had expired' },
};

function executionError(code: ExecutionErrorCode): ExecutionErrorJson {
  return { code, ...(ERRORS[code] ?? { message: code }) };
}

export interface PendingInput {
  readonly name: string;
  readonly expiresAtMs: number;
  readonly answer: (value: string) => void;
  readonly expire: () => void;
}

export interface ItemRecord {
  readonly item: Mutable<ItemJson>;
  readonly user: SandboxUser;
  credentials: Record<string, string>;
  accounts: AccountJson[];
  executions: number;
  current: Execution | null;
  pendingInput: PendingInput | null;
  /** The last WAITING_USER_INPUT ran out: MFA answers 400 ITEM_MFA_EXPIRED until a new execution. */
  inputExpired: boolean;
  accountsScheduled: boolean;
  deleted: boolean;
  lastChangeMs: number;
  readonly autoSync: TimerGroup;
  readonly background: TimerGroup;
}

export interface WebhookToSend {
  readonly event: ItemWebhookEvent;
  readonly extra?: Partial<WebhookPayloadJson>;
}

export type ItemChangeKind = 'changed' | 'deleted';
export type ItemListener = (item: ItemJson, kind: ItemChangeKind) => void;

export interface CreateItemRequest {
  readonly connectorId: number;
  readonly parameters: Readonly<Record<string, string>>;
  readonly webhookUrl: string | null;
  readonly clientUserId: string | null;
}

export interface UpdateItemRequest {
  readonly parameters?: Readonly<Record<string, string>>;
  readonly webhookUrl?: string | null;
  readonly clientUserId?: string | null;
}

export interface ItemStoreDeps {
  readonly timers: Timers;
  readonly webhooks: WebhookDispatcher;
  /** The application-level webhook: used for items created without a `webhookUrl`. */
  readonly defaultWebhookUrl: string | null;
}

export class ItemStore {
  private readonly records = new Map<string, ItemRecord>();
  private readonly published = new Map<string, ItemJson>();
  private readonly listeners = new Set<ItemListener>();

  constructor(private readonly deps: ItemStoreDeps) {}

  /** Current snapshot of every item that exists (deleted items are gone). */
  get snapshots(): ReadonlyMap<string, ItemJson> {
    return this.published;
  }

  onChange(listener: ItemListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(request: CreateItemRequest): ItemJson {
    const user = request.parameters['user'];
    if (user === undefined || user === '') {
      throw badRequest('PARAMETERS_NOT_PROVIDED', 'parameters.user is required: it picks the sandbox user');
    }
    if (!isSandboxUser(user)) {
      throw badRequest('UNKNOWN_SANDBOX_USER', `parameters.user "${user}" is not a sandbox user; known users: ${SANDBOX_USERS.join(', ')}`);
    }
    const connector = CONNECTORS.get(request.connectorId);
    if (!connector) {
      throw badRequest('CONNECTOR_NOT_FOUND', `connectorId ${request.connectorId} does not exist; the sandbox has ${DIRECT_CONNECTOR_ID} and ${OPEN_FINANCE_CONNECTOR_ID}`);
    }
    if (connector.isOpenFinance !== USER_SCRIPTS[user].openFinance) {
      const expected = USER_SCRIPTS[user].openFinance ? OPEN_FINANCE_CONNECTOR_ID : DIRECT_CONNECTOR_ID;
      throw badRequest('CONNECTOR_USER_MISMATCH', `sandbox user ${user} connects through connector ${expected}, not ${request.connectorId}`);
    }
    const now = this.deps.timers.now();
    const iso = new Date(now).toISOString();
    const id = randomUUID();
    const record: ItemRecord = {
      item: {
        id,
        connector,
        status: 'UPDATING',
        executionStatus: 'LOGIN_IN_PROGRESS',
        createdAt: iso,
        updatedAt: iso,
        lastUpdatedAt: null,
        parameter: null,
        userAction: null,
        error: null,
        statusDetail: null,
        webhookUrl: request.webhookUrl,
        clientUserId: request.clientUserId,
        consecutiveFailedLoginAttempts: 0,
        nextAutoSyncAt: null,
        consentExpiresAt: null,
      },
      user,
      credentials: { ...request.parameters },
      accounts: [],
      executions: 0,
      current: null,
      pendingInput: null,
      inputExpired: false,
      accountsScheduled: false,
      deleted: false,
      lastChangeMs: now,
      autoSync: this.deps.timers.group(),
      background: this.deps.timers.group(),
    };
    this.records.set(id, record);
    this.publish(record, 'changed');
    this.startExecution(record, 'CLIENT', { initial: true });
    return this.snapshotOf(record);
  }

  /** The item's current snapshot; 404 ITEM_NOT_FOUND when it does not exist (or was deleted). */
  get(id: string): ItemJson {
    return this.snapshotOf(this.find(id));
  }

  accounts(id: string): readonly AccountJson[] {
    return this.find(id).accounts;
  }

  /** PATCH: a new execution with the stored credentials merged with `parameters`. */
  update(id: string, request: UpdateItemRequest): ItemJson {
    const record = this.find(id);
    if (record.current && !record.current.finished && record.item.status === 'UPDATING') {
      throw badRequest('ITEM_IS_ALREADY_UPDATING', 'The item is already updating; wait until it finishes (success or error)');
    }
    if (request.parameters) record.credentials = { ...record.credentials, ...request.parameters, user: record.user };
    if (request.webhookUrl !== undefined) record.item.webhookUrl = request.webhookUrl;
    if (request.clientUserId !== undefined) record.item.clientUserId = request.clientUserId;
    this.startExecution(record, 'CLIENT', { initial: false });
    return this.snapshotOf(record);
  }

  /** POST /items/{id}/mfa with `{[parameter.name]: value}`. */
  submitMfa(id: string, body: Readonly<Record<string, unknown>>): ItemJson {
    const record = this.find(id);
    const pending = record.pendingInput;
    if (pending && this.deps.timers.now() >= pending.expiresAtMs) pending.expire();
    if (!record.pendingInput) {
      if (record.inputExpired) {
        throw badRequest('ITEM_MFA_EXPIRED', 'The MFA input expired; start a new update of the item');
      }
      throw badRequest('ITEM_MFA_NOT_FOUND', 'The item is not waiting for an MFA input');
    }
    const input = record.pendingInput;
    const value = body[input.name];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw badRequest('ITEM_MFA_PARAMETER_EXPECTED_MISMATCH', `The item expects the MFA parameter "${input.name}"`);
    }
    record.pendingInput = null;
    this.change(record, () => ({ status: 'UPDATING', executionStatus: 'LOGIN_MFA_IN_PROGRESS', parameter: null }), []);
    input.answer(String(value));
    return this.snapshotOf(record);
  }

  delete(id: string): ItemJson {
    const record = this.find(id);
    const last = this.snapshotOf(record);
    record.deleted = true;
    record.current?.cancel();
    record.pendingInput = null;
    record.autoSync.dispose();
    record.background.dispose();
    this.records.delete(id);
    this.published.delete(id);
    this.send(record, [{ event: 'item/deleted' }], null);
    for (const listener of this.listeners) listener(last, 'deleted');
    return last;
  }

  // ---- used by Execution ----

  /** Applies a change: bumps `updatedAt`, publishes, then sends the webhooks (with the execution's trigger). */
  change(record: ItemRecord, patch: (now: IsoDate) => Partial<ItemJson>, webhooks: readonly WebhookToSend[]): void {
    if (record.deleted) return;
    const nowMs = Math.max(this.deps.timers.now(), record.lastChangeMs + 1);
    record.lastChangeMs = nowMs;
    const now = new Date(nowMs).toISOString();
    Object.assign(record.item, patch(now), { updatedAt: now });
    this.publish(record, 'changed');
    this.send(record, webhooks, record.current?.triggeredBy ?? 'CLIENT');
  }

  startExecution(record: ItemRecord, triggeredBy: TriggeredBy, { initial }: { readonly initial: boolean }): void {
    record.current?.cancel();
    record.autoSync.cancelAll();
    record.pendingInput = null;
    record.inputExpired = false;
    record.executions += 1;
    const execution = new Execution(this, record, record.executions, triggeredBy, this.deps.timers);
    record.current = execution;
    if (!initial) {
      this.change(
        record,
        () => ({
          status: 'UPDATING',
          executionStatus: 'LOGIN_IN_PROGRESS',
          error: null,
          parameter: null,
          userAction: null,
          statusDetail: null,
          nextAutoSyncAt: null,
        }),
        [],
      );
    }
    USER_SCRIPTS[record.user].run(execution);
  }

  close(): void {
    for (const record of this.records.values()) {
      record.current?.cancel();
      record.autoSync.dispose();
      record.background.dispose();
    }
  }

  private find(id: string): ItemRecord {
    const record = this.records.get(id);
    if (!record || record.deleted) throw itemNotFound();
    return record;
  }

  private snapshotOf(record: ItemRecord): ItemJson {
    const snapshot = this.published.get(record.item.id);
    return snapshot ?? freeze(structuredClone(record.item));
  }

  private publish(record: ItemRecord, kind: ItemChangeKind): void {
    const snapshot = freeze(structuredClone(record.item));
    this.published.set(record.item.id, snapshot);
    for (const listener of this.listeners) listener(snapshot, kind);
  }

  private send(record: ItemRecord, webhooks: readonly WebhookToSend[], triggeredBy: TriggeredBy | null): void {
    const url = record.item.webhookUrl ?? this.deps.defaultWebhookUrl;
    for (const { event, extra } of webhooks) {
      const payload: WebhookPayloadJson = {
        id: record.item.id,
        eventId: randomUUID(),
        event,
        itemId: record.item.id,
        ...(triggeredBy === null ? {} : { triggeredBy }),
        clientUserId: record.item.clientUserId,
        ...extra,
      };
      this.deps.webhooks.dispatch(url, payload);
    }
  }
}

/** One execution of an item: the script's handle on it (see `ExecutionControl`). */
class Execution implements ExecutionControl {
  finished = false;
  private readonly timers: TimerGroup;

  constructor(
    private readonly store: ItemStore,
    private readonly record: ItemRecord,
    readonly number: number,
    readonly triggeredBy: TriggeredBy,
    private readonly clock: Timers,
  ) {
    this.timers = clock.group();
  }

  get credentials(): Readonly<Record<string, string>> {
    return this.record.credentials;
  }

  get hasAccounts(): boolean {
    return this.record.accounts.length > 0;
  }

  /** Still the item's execution and not finished: its steps may change the item. */
  private get live(): boolean {
    return !this.finished && this.record.current === this && !this.record.deleted;
  }

  after(ms: number, step: () => void): void {
    this.timers.after(ms, () => {
      if (this.live) step();
    });
  }

  loginSucceeded(): void {
    if (!this.live) return;
    this.store.change(
      this.record,
      () => ({ status: 'UPDATING', executionStatus: 'ACCOUNTS_IN_PROGRESS', parameter: null, userAction: null, consecutiveFailedLoginAttempts: 0 }),
      [{ event: 'item/login_succeeded' }],
    );
  }

  succeed(): void {
    if (!this.live) return;
    if (this.record.accounts.length === 0) this.record.accounts = sandboxAccounts(this.record.item.id, this.clock.now());
    this.finish();
    this.store.change(
      this.record,
      (now) => ({ status: 'UPDATED', executionStatus: 'SUCCESS', lastUpdatedAt: now, statusDetail: null, error: null }),
      [{ event: this.number === 1 ? 'item/created' : 'item/updated' }],
    );
  }

  succeedPartially(statusDetail: (now: IsoDate) => StatusDetailJson): void {
    if (!this.live) return;
    this.finish();
    this.store.change(
      this.record,
      (now) => ({ status: 'UPDATED', executionStatus: 'PARTIAL_SUCCESS', lastUpdatedAt: now, statusDetail: statusDetail(now), error: null }),
      [{ event: this.number === 1 ? 'item/created' : 'item/updated' }],
    );
  }

  fail(status: 'LOGIN_ERROR' | 'OUTDATED', code: ExecutionErrorCode, options: { readonly autoSyncAfterMs?: number } = {}): void {
    if (!this.live) return;
    this.finish();
    const error = executionError(code);
    const failedLogins = this.record.item.consecutiveFailedLoginAttempts + (status === 'LOGIN_ERROR' ? 1 : 0);
    let nextAutoSyncAt: IsoDate | null = null;
    if (options.autoSyncAfterMs !== undefined) {
      nextAutoSyncAt = this.clock.iso(this.clock.scale(options.autoSyncAfterMs));
      this.record.autoSync.after(options.autoSyncAfterMs, () => {
        if (!this.record.deleted) this.store.startExecution(this.record, 'SYNC', { initial: false });
      });
    }
    this.store.change(
      this.record,
      () => ({ status, executionStatus: code, error, consecutiveFailedLoginAttempts: failedLogins, nextAutoSyncAt }),
      [{ event: 'item/error', extra: { error: { code: error.code, message: error.message } } }],
    );
  }

  waitForInput(request: { readonly ttlMs: number; readonly onAnswer: (value: string) => void }): void {
    if (!this.live) return;
    const expiresAtMs = this.clock.now() + this.clock.scale(request.ttlMs);
    const parameter: CredentialJson = {
      name: 'token',
      label: 'Token',
      type: 'number',
      mfa: true,
      placeholder: '123456',
      assistiveText: 'The 6-digit code your token app shows',
      expiresAt: new Date(expiresAtMs).toISOString(),
    };
    const pending: PendingInput = {
      name: parameter.name,
      expiresAtMs,
      answer: (value) => request.onAnswer(value),
      expire: () => this.timeOut(pending),
    };
    this.record.pendingInput = pending;
    this.store.change(this.record, () => ({ status: 'WAITING_USER_INPUT', executionStatus: 'WAITING_USER_INPUT', parameter }), [
      { event: 'item/waiting_user_input' },
    ]);
    this.after(request.ttlMs, () => this.timeOut(pending));
  }

  waitForAction(request: { readonly ttlMs: number; readonly authorizedAfterMs: number; readonly onAuthorized: () => void }): void {
    if (!this.live) return;
    const expiresAt = this.clock.iso(this.clock.scale(request.ttlMs));
    const url = `${this.record.item.connector.oauthUrl ?? 'https://sandbox.pluggy.local/oauth/authorize'}?itemId=${this.record.item.id}`;
    this.store.change(
      this.record,
      () => ({
        status: 'WAITING_USER_ACTION',
        executionStatus: 'WAITING_USER_ACTION',
        userAction: {
          type: 'authorize-access',
          instructions: 'Open the link and authorize access to your accounts in your bank',
          attributes: { url },
          expiresAt,
        },
      }),
      [{ event: 'item/waiting_user_action' }],
    );
    this.after(request.authorizedAfterMs, request.onAuthorized);
  }

  accountsArriveAfter(ms: number): void {
    if (this.record.accountsScheduled || this.record.deleted) return;
    this.record.accountsScheduled = true;
    this.record.background.after(ms, () => {
      if (this.record.accounts.length === 0) this.record.accounts = sandboxAccounts(this.record.item.id, this.clock.now());
    });
  }

  cancel(): void {
    this.finished = true;
    this.timers.dispose();
  }

  private finish(): void {
    this.finished = true;
  }

  private timeOut(pending: PendingInput): void {
    if (this.record.pendingInput !== pending || this.record.current !== this || this.record.deleted) return;
    this.record.pendingInput = null;
    this.record.inputExpired = true;
    this.finish();
    const error = executionError('USER_INPUT_TIMEOUT');
    this.store.change(this.record, () => ({ status: 'OUTDATED', executionStatus: 'USER_INPUT_TIMEOUT', parameter: null, error }), [
      { event: 'item/error', extra: { error: { code: error.code, message: error.message }, parameter: pending.name } },
    ]);
  }
}

function freeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) freeze(child);
    Object.freeze(value);
  }
  return value;
}
