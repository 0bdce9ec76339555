/** Effects as a user would name them in a test's expectations: `sync:partial#1`, `reconnectRequired:retryLater`. */
import type { Effect } from '../../src/machine/effects';

export function describeEffect(effect: Effect): string {
  switch (effect.type) {
    case 'sync':
      return `sync${effect.warning ? `:${effect.warning}` : ''}#${effect.attempt}`;
    case 'reconnectRequired':
      return `reconnectRequired:${effect.remedy}`;
    case 'userInputRequired':
      return `userInputRequired:${effect.parameter?.name ?? '?'}`;
    case 'userActionRequired':
      return `userActionRequired:${effect.userAction?.type ?? '?'}`;
    case 'scheduleRetry':
      return `scheduleRetry:${effect.reason}`;
    default:
      return effect.type;
  }
}
