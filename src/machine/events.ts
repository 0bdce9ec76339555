/** Events a connection receives. Every event may carry `at` (epoch ms), stamped by the runtime's clock. */
import type { ItemSnapshot } from '../vocabulary/item';
import type { WebhookPayload } from '../vocabulary/webhook';

/** What a failed `GET /items/{id}` answered. A 404 (or `ITEM_NOT_FOUND`) means the item is gone. */
export interface FetchError {
  readonly status?: number;
  readonly code?: string;
  readonly message?: string;
}

export type ConnectionEvent =
  /** A parsed `GET /items/{id}` answer. */
  | { readonly type: 'SNAPSHOT'; readonly item: ItemSnapshot; readonly at?: number }
  /** A parsed webhook payload. */
  | { readonly type: 'WEBHOOK'; readonly payload: WebhookPayload; readonly at?: number }
  /** The host started an update (Connect widget in update mode, `PATCH /items/{id}`). */
  | { readonly type: 'RECONNECT'; readonly at?: number }
  /** The host finished reading the item's data. */
  | { readonly type: 'SYNC_DONE'; readonly accounts: number; readonly at?: number }
  /** The host could not read the item's data. */
  | { readonly type: 'SYNC_FAILED'; readonly error?: string; readonly at?: number }
  /** The host could not fetch the item. */
  | { readonly type: 'FETCH_FAILED'; readonly error: FetchError; readonly at?: number };

export type ConnectionEventType = ConnectionEvent['type'];
