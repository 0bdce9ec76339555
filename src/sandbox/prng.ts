/**
 * A seeded PRNG (mulberry32), so duplicate and reorder decisions replay identically for a seed.
 * Each concern draws from its own stream: turning duplicates on does not change which
 * deliveries get reordered.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An independent stream for one concern, derived from the sandbox seed. */
export function stream(seed: number, concern: number): Random {
  return mulberry32((seed ^ Math.imul(concern + 1, 0x9e3779b9)) >>> 0);
}
