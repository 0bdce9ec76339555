/** Runs async sections one at a time, in call order: one connection holds one transaction at a time. */
export type Mutex = <T>(section: () => Promise<T>) => Promise<T>;

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return (section) => {
    const run = tail.then(section);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}
