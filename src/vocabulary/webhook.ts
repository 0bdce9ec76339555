/**
 * Webhook payloads (pluggy-sdk `WebhookEventPayload`). Webhooks are hints: apart from
 * `item/deleted`, the connection answers them by fetching the item, and the snapshot decides.
 */
import { z } from 'zod';
import { reject, requiredId, runSchema, type ParsingMode } from './fields';
import type { ParseOptions, SafeParseResult } from './item';

/** Events about one item's lifecycle. */
export const ITEM_WEBHOOK_EVENTS = [
  'item/created',
  'item/updated',
  'item/error',
  'item/deleted',
  'item/waiting_user_input',
  'item/waiting_user_action',
  'item/login_succeeded',
] as const;

/** Every event this release knows; transactions and connector events do not move a connection. */
export const WEBHOOK_EVENTS = [
  ...ITEM_WEBHOOK_EVENTS,
  'connector/status_updated',
  'transactions/created',
  'transactions/updated',
  'transactions/deleted',
] as const;

export type ItemWebhookEvent = (typeof ITEM_WEBHOOK_EVENTS)[number];
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Who started the execution a webhook reports on. */
export const WEBHOOK_TRIGGERS = ['CLIENT', 'USER', 'SYNC', 'INTERNAL'] as const;

const webhookEventSet: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);
const itemEventSet: ReadonlySet<string> = new Set(ITEM_WEBHOOK_EVENTS);

export function isItemWebhookEvent(event: string): event is ItemWebhookEvent {
  return itemEventSet.has(event);
}

function eventField(mode: ParsingMode) {
  const expected = `one of ${WEBHOOK_EVENTS.join(', ')}`;
  return z.unknown().transform((value, ctx): WebhookEvent | (string & {}) => {
    if (typeof value === 'string' && webhookEventSet.has(value)) return value;
    if (typeof value !== 'string' || value === '') return reject(ctx, value, `a webhook event name (${expected})`);
    if (mode === 'lenient') return value;
    return reject(ctx, value, expected, `${JSON.stringify(value)} is not a webhook event this release knows (expected ${expected})`);
  });
}

function webhookSchema(mode: ParsingMode) {
  return z
    .looseObject({
      event: eventField(mode),
      eventId: requiredId(),
      itemId: z.string().min(1).optional(),
      triggeredBy: z.union([z.enum(WEBHOOK_TRIGGERS), mode === 'lenient' ? z.string() : z.never()]).nullable().optional(),
      error: z.looseObject({ code: z.string(), message: z.string().optional() }).nullable().optional(),
      clientUserId: z.string().nullable().optional(),
    })
    .superRefine((payload, ctx) => {
      const needsItem = payload.event.startsWith('item/') || payload.event.startsWith('transactions/');
      if (needsItem && payload.itemId === undefined) {
        const expected = `the id of the item the event is about (${payload.event} events carry one)`;
        ctx.addIssue({ code: 'custom', path: ['itemId'], input: undefined, message: `expected ${expected}, received nothing`, params: { expected } });
      }
    });
}

const schemas = { strict: webhookSchema('strict'), lenient: webhookSchema('lenient') } as const;

/** A parsed webhook payload; fields the library does not read are kept. */
export type WebhookPayload = z.output<ReturnType<typeof webhookSchema>>;

/** Parses a webhook body (an object, or its JSON text) without throwing. */
export function safeParseWebhook(input: unknown, options: ParseOptions = {}): SafeParseResult<WebhookPayload> {
  const result = runSchema(schemas[options.parsing ?? 'strict'], 'webhook', input);
  if (!result.success) return result;
  const warnings = webhookEventSet.has(result.data.event)
    ? []
    : [{ path: 'event', value: result.data.event, message: `event: ${JSON.stringify(result.data.event)} is not a webhook event this release knows` }];
  return { success: true, data: result.data, warnings };
}

/** Parses a webhook body; throws an `InputError` naming every bad field. */
export function parseWebhook(input: unknown, options: ParseOptions = {}): WebhookPayload {
  const result = safeParseWebhook(input, options);
  if (!result.success) throw result.error;
  return result.data;
}
