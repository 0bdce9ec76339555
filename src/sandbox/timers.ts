/**
 * The sandbox's time: one `Clock` (the process clock by default, a simulated one in tests) for
 * every script step, webhook backoff, API-key expiry, rate-limit window and timestamp. Script
 * durations are scaled by `timeScale`. Timers belong to groups so an item can drop the timers of
 * an execution it abandons; `close()` clears every group.
 */
import { systemClock, type Clock } from '../runtime/clock';

export class Timers {
  private readonly groups = new Set<TimerGroup>();
  private closed = false;

  constructor(
    readonly timeScale: number,
    readonly clock: Clock = systemClock,
  ) {}

  /** The sandbox's current time, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** The sandbox's current time as an ISO string with milliseconds (the only form pluggy-sdk revives). */
  iso(offsetMs = 0): string {
    return new Date(this.clock.now() + offsetMs).toISOString();
  }

  /** A script duration in clock ms. */
  scale(ms: number): number {
    return ms * this.timeScale;
  }

  group(): TimerGroup {
    const group = new TimerGroup(this);
    this.groups.add(group);
    return group;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  release(group: TimerGroup): void {
    this.groups.delete(group);
  }

  close(): void {
    this.closed = true;
    for (const group of this.groups) group.cancelAll();
    this.groups.clear();
  }
}

export class TimerGroup {
  private readonly handles = new Set<unknown>();

  constructor(private readonly owner: Timers) {}

  /** Runs `fn` after `ms` script milliseconds (scaled). Nothing runs once the sandbox is closed. */
  after(ms: number, fn: () => void): void {
    if (this.owner.isClosed) return;
    const handle = this.owner.clock.setTimeout(() => {
      this.handles.delete(handle);
      if (!this.owner.isClosed) fn();
    }, this.owner.scale(ms));
    this.handles.add(handle);
  }

  cancelAll(): void {
    for (const handle of this.handles) this.owner.clock.clearTimeout(handle);
    this.handles.clear();
  }

  dispose(): void {
    this.cancelAll();
    this.owner.release(this);
  }
}
