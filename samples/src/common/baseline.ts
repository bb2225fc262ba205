import type { Kind } from './kinds.js';

/**
 * The serial run's results, which every other kind must reproduce, and its timings, from which
 * a sample derives its ideal bound. The serial kind runs first (KINDS order).
 */
export class SerialBaseline {
  /** Sum of the serial calls' own times (ms). */
  workMs = 0;
  /** The longest serial call (ms): no kind can finish sooner. */
  longestMs = 0;
  private expected: string | undefined;

  constructor(
    private readonly sample: string,
    /** What the results are, for the error message ("bands", "rows"). */
    private readonly what: string,
  ) {}

  /** Records the serial run's results, or checks another kind's against them. */
  check(kind: Kind, digest: string, calls: readonly { ms: number }[]): void {
    if (kind === 'serial') {
      this.expected = digest;
      this.workMs = calls.reduce((sum, call) => sum + call.ms, 0);
      this.longestMs = Math.max(...calls.map((call) => call.ms));
    } else if (digest !== this.expected) {
      throw new Error(
        `${this.sample}: the ${kind} actor's ${this.what} differ from the serial actor's`,
      );
    }
  }
}
