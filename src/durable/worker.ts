/**
 * A background loop for a service: fires due timers, delivers the outbox, and prunes old
 * eventIds. Run one per instance; on PostgreSQL several instances share the work safely.
 */
import type { Dispatcher } from './dispatcher';
import type { Processor } from './processor';

export interface WorkerOptions {
  readonly processor: Processor;
  readonly dispatcher?: Dispatcher;
  /** Pause between rounds (default 1 s). */
  readonly intervalMs?: number;
  /** How often old eventIds are pruned (default every 10 min). */
  readonly pruneEveryMs?: number;
  /** Errors of a round (the store was unreachable...); the loop goes on. */
  readonly onError?: (error: unknown) => void;
}

export interface Worker {
  /** Runs one round now: timers, then the outbox. */
  tick(): Promise<void>;
  /** Stops the loop; resolves once the running round ended. */
  stop(): Promise<void>;
}

export function startWorker(options: WorkerOptions): Worker {
  const intervalMs = options.intervalMs ?? 1_000;
  const pruneEveryMs = options.pruneEveryMs ?? 10 * 60_000;
  const onError = options.onError ?? ((error: unknown) => console.error('[pluggy-lifecycle worker]', error));
  let stopped = false;
  let lastPrune = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function round(): Promise<void> {
    await options.processor.fireDueTimers();
    if (options.dispatcher) await options.dispatcher.drain();
    if (Date.now() - lastPrune >= pruneEveryMs) {
      lastPrune = Date.now();
      await options.processor.pruneSeen();
    }
  }

  const tick = () => {
    running = running.then(round).catch(onError);
    return running;
  };

  const loop = () => {
    if (stopped) return;
    void tick().then(() => {
      if (!stopped) {
        timer = setTimeout(loop, intervalMs);
        timer.unref?.();
      }
    });
  };
  loop();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
