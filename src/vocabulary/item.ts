/**
 * The item snapshot: the JSON of Pluggy's `GET /items/{id}` (pluggy-sdk `Item`), parsed by zod.
 * Required: `id`, `status`, `executionStatus`, `updatedAt`. Everything else is optional or null,
 * and fields this library does not use are dropped.
 */
import { z } from 'zod';
import { InputError } from '../errors';
import {
  optionalDate,
  requiredDate,
  requiredId,
  runSchema,
  vocabularyField,
  vocabularyMismatch,
  type ParseWarning,
  type ParsingMode,
  type Vocabulary,
} from './fields';
import {
  EXECUTION_STATUSES,
  ITEM_STATUSES,
  isExecutionStatus,
  isItemStatus,
  type ExecutionStatus,
  type ItemStatus,
} from './statuses';

export const STATUS_VOCABULARY: Vocabulary<ItemStatus> = {
  field: 'status',
  noun: 'a status',
  values: ITEM_STATUSES,
  is: isItemStatus,
  sibling: { noun: 'an executionStatus', is: isExecutionStatus },
};

export const EXECUTION_STATUS_VOCABULARY: Vocabulary<ExecutionStatus> = {
  field: 'executionStatus',
  noun: 'an executionStatus',
  values: EXECUTION_STATUSES,
  is: isExecutionStatus,
  sibling: { noun: 'a status', is: isItemStatus },
};

/** Products reported in `statusDetail` (pluggy-sdk `ItemProductsStatusDetail`). */
export const PRODUCTS = [
  'accounts',
  'creditCards',
  'transactions',
  'investments',
  'investmentTransactions',
  'identity',
  'paymentData',
  'loans',
  'accountStatements',
] as const;
export type Product = (typeof PRODUCTS)[number];

const productState = z
  .object({
    isUpdated: z.boolean(),
    lastUpdatedAt: optionalDate(),
    warnings: z
      .array(z.looseObject({ code: z.string(), message: z.string().optional(), providerMessage: z.string().optional() }))
      .optional(),
  })
  .nullable()
  .optional();

const statusDetail = z
  .object(Object.fromEntries(PRODUCTS.map((product) => [product, productState])) as Record<Product, typeof productState>)
  .nullable()
  .optional();

/** `item.parameter`: the MFA credential asked for while WAITING_USER_INPUT. Extra keys are kept for the host's UI. */
const parameter = z
  .looseObject({ name: z.string(), label: z.string().optional(), type: z.string().optional(), expiresAt: optionalDate() })
  .nullable()
  .optional();

/** `item.userAction`: what the user must do outside the app (QR, authorize access). */
const userAction = z
  .looseObject({ type: z.string().optional(), instructions: z.string().optional(), expiresAt: optionalDate() })
  .nullable()
  .optional();

const executionError = z
  .looseObject({ code: z.string(), message: z.string().optional(), providerMessage: z.string().optional() })
  .nullable()
  .optional();

const connector = z
  .looseObject({ id: z.number().optional(), name: z.string().optional(), isOpenFinance: z.boolean().optional() })
  .optional();

function itemSchema(mode: ParsingMode) {
  return z.object({
    id: requiredId(),
    status: vocabularyField(STATUS_VOCABULARY, mode),
    executionStatus: vocabularyField(EXECUTION_STATUS_VOCABULARY, mode),
    updatedAt: requiredDate(),
    createdAt: optionalDate(),
    lastUpdatedAt: optionalDate(),
    nextAutoSyncAt: optionalDate(),
    consentExpiresAt: optionalDate(),
    parameter,
    userAction,
    error: executionError,
    statusDetail,
    connector,
    consecutiveFailedLoginAttempts: z.number().int().nonnegative().optional(),
    clientUserId: z.string().nullable().optional(),
  });
}

const schemas = { strict: itemSchema('strict'), lenient: itemSchema('lenient') } as const;

/** A parsed item snapshot. Dates are `Date`s; unknown status values only appear after lenient parsing. */
export type ItemSnapshot = z.output<ReturnType<typeof itemSchema>>;
/** What `parameter`, `userAction`, `statusDetail` hold once parsed. */
export type MfaParameter = NonNullable<ItemSnapshot['parameter']>;
export type UserAction = NonNullable<ItemSnapshot['userAction']>;
export type StatusDetail = NonNullable<ItemSnapshot['statusDetail']>;

export interface ParseOptions {
  /** `strict` (default) rejects values outside the vocabulary; `lenient` accepts and flags them. */
  readonly parsing?: ParsingMode;
}

export type SafeParseResult<T> =
  | { readonly success: true; readonly data: T; readonly warnings: readonly ParseWarning[] }
  | { readonly success: false; readonly error: InputError };

/** Values outside the vocabulary that lenient parsing let through. */
export function unknownValues(item: Pick<ItemSnapshot, 'status' | 'executionStatus'>): ParseWarning[] {
  const warnings: ParseWarning[] = [];
  for (const vocabulary of [STATUS_VOCABULARY, EXECUTION_STATUS_VOCABULARY] as const) {
    const value = item[vocabulary.field as 'status' | 'executionStatus'];
    if (!vocabulary.is(value)) {
      warnings.push({ path: vocabulary.field, value, message: `${vocabulary.field}: ${vocabularyMismatch(vocabulary, value)}` });
    }
  }
  return warnings;
}

/** Parses an item snapshot (an object, or its JSON text) without throwing. */
export function safeParseItem(input: unknown, options: ParseOptions = {}): SafeParseResult<ItemSnapshot> {
  const result = runSchema(schemas[options.parsing ?? 'strict'], 'item', input);
  if (!result.success) return result;
  return { success: true, data: result.data, warnings: unknownValues(result.data) };
}

/** Parses an item snapshot (an object, or its JSON text); throws an `InputError` naming every bad field. */
export function parseItem(input: unknown, options: ParseOptions = {}): ItemSnapshot {
  const result = safeParseItem(input, options);
  if (!result.success) throw result.error;
  return result.data;
}
