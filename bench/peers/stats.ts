/**
 * Summary statistics for benchmark samples: median, min and max. Rounds are
 * pooled before summarising, so a figure is the median of every sample taken.
 *
 * @module
 */

/** The median, minimum and maximum of a non-empty sample set. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many samples were summarised. */
  readonly count: number;
}

function sorted(samples: readonly number[], what: string): number[] {
  if (samples.length === 0) throw new RangeError(`Cannot compute the ${what} of no samples`);
  if (samples.some((s) => !Number.isFinite(s))) {
    throw new RangeError(`Cannot compute the ${what}: a sample is not a finite number`);
  }
  return [...samples].sort((a, b) => a - b);
}

/**
 * The median: the middle sample, or the mean of the two middle samples.
 *
 * @throws {RangeError} when there is no sample or a sample is not finite.
 */
export function median(samples: readonly number[]): number {
  const s = sorted(samples, "median");
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The smallest sample. @throws {RangeError} when there is no sample. */
export function min(samples: readonly number[]): number {
  return sorted(samples, "minimum")[0]!;
}

/** The largest sample. @throws {RangeError} when there is no sample. */
export function max(samples: readonly number[]): number {
  return sorted(samples, "maximum").at(-1)!;
}

/** Median, min and max at once. @throws {RangeError} when there is no sample. */
export function summarize(samples: readonly number[]): Summary {
  const s = sorted(samples, "summary");
  return { median: median(s), min: s[0]!, max: s.at(-1)!, count: s.length };
}
