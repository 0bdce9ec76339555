/** A stored connection as people read it (`pluggy-lifecycle show`, `processor.get`). */
import { InputError } from '../errors';
import { describeState, type ConnectionState } from '../runtime/connection';
import { decodeConnection } from './step';
import type { StoredConnection } from './store';

export type StoredConnectionState =
  | (Omit<ConnectionState, 'value' | 'context'> & {
      /** The active state as a dotted path. */
      readonly state: string;
      readonly seq: number;
      readonly updatedAt: string;
    })
  /** A row that cannot be read: corrupt, or written by another machine version. */
  | {
      readonly itemId: string;
      readonly state: string;
      readonly machine: string;
      readonly version: number;
      readonly seq: number;
      readonly updatedAt: string;
      readonly error: string;
    };

export function describeStored(row: StoredConnection): StoredConnectionState {
  const updatedAt = new Date(row.updatedAt).toISOString();
  const snapshot = decodeConnection(row);
  if (snapshot instanceof InputError) {
    return { itemId: row.itemId, state: row.state, machine: row.machine, version: row.version, seq: row.seq, updatedAt, error: snapshot.message };
  }
  const { value, phase, canSync, status, rule, last, timers } = describeState(snapshot);
  return { itemId: row.itemId, state: value, phase, canSync, status, rule, last, timers, seq: row.seq, updatedAt };
}
