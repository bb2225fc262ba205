/**
 * Counts calls in flight, and the peak, in shared memory: the one way to see the concurrency a
 * threaded actor reached, since each of its threads holds its own replica and ordinary fields
 * would count per thread. Serial and async actors use the same gauge, so every kind is measured
 * the same way. Slot 0 holds the calls running now, slot 1 the peak.
 */
export type InFlightGauge = Int32Array;

const NOW = 0;
const PEAK = 1;

/** Marks a call as started and raises the peak if it is higher. Call at a method's first line. */
export function enter(gauge: InFlightGauge): void {
  const now = Atomics.add(gauge, NOW, 1) + 1;
  let peak = Atomics.load(gauge, PEAK);
  // Another thread may raise the peak between the load and the store: retry until ours holds.
  while (now > peak) {
    const seen = Atomics.compareExchange(gauge, PEAK, peak, now);
    if (seen === peak) break;
    peak = seen;
  }
}

/** Marks a call as finished. Call in a `finally`, so a failing call does not leave it counted. */
export function leave(gauge: InFlightGauge): void {
  Atomics.sub(gauge, NOW, 1);
}

export function peakOf(gauge: InFlightGauge): number {
  return Atomics.load(gauge, PEAK);
}

export function resetGauge(gauge: InFlightGauge): void {
  Atomics.store(gauge, NOW, 0);
  Atomics.store(gauge, PEAK, 0);
}
