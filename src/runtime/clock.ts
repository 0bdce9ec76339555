/** Time as the runtimes see it. Inject a simulated clock in tests and replays; never sleep. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A connection waiting on a 10-minute timer must not keep a host process alive on its own.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in due
 * order, with `now()` set to each timer's due time while it runs (so events sent from a timer's
 * effects carry the right time).
 */
export class SimulatedClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.pending.set(id, { id, due: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.pending.delete(handle);
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.current + Math.max(0, ms));
  }

  /** Moves time forward to `target` (epoch ms), firing what falls due on the way. */
  advanceTo(target: number): void {
    for (;;) {
      let next: Pending | undefined;
      for (const timer of this.pending.values()) {
        if (timer.due <= target && (!next || timer.due < next.due || (timer.due === next.due && timer.id < next.id))) next = timer;
      }
      if (!next) break;
      this.pending.delete(next.id);
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = Math.max(this.current, target);
  }

  /** Timers not yet fired. */
  get pendingCount(): number {
    return this.pending.size;
  }
}
