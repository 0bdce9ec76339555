/** The baseline of XState's own cost: the smallest useful machine, two states and one event. */
import { createMachine } from 'xstate';

export const twoStateMachine = createMachine({
  id: 'toggle',
  initial: 'off',
  states: {
    off: { on: { TOGGLE: 'on' } },
    on: { on: { TOGGLE: 'off' } },
  },
});

export const TOGGLE = { type: 'TOGGLE' } as const;
