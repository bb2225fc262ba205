/**
 * Counts calls in flight, and the peak, in shared memory: the one way to see the concurrency a
 * threaded actor reached, since each of its threads holds its own replica and ordinary fields
 * would count per thread. Serial and async actors use the same gauge, so every kind is measured
 * the same way. Slot 0 holds the calls running now, slot 1 the peak.
 *
 * The gauge can also hold a barrier, for tests: timing alone does not guarantee that the calls
 * overlap (on busy cores the first call may finish before the last one starts), so a test arms
 * the barrier and every call waits, once counted, until `size` calls are in flight at once or
 * every call of the run has arrived (then the number in flight cannot grow). The peak is then
 * certain whenever the actor really allows that concurrency; if it does not, the barrier opens
 * after `BARRIER_TIMEOUT_MS` and the lower peak shows it. The barrier opens once per run.
 * A gauge of only the first two slots (as the cluster demo passes) never holds a barrier.
 */
export type InFlightGauge = Int32Array;

const NOW = 0;
const PEAK = 1;
/** Calls counted since the barrier was armed. */
const ARRIVED = 2;
/** Calls in flight at once that open the barrier; 0 when no barrier is armed. */
const SIZE = 3;
/** Calls the run makes: once all have arrived, the barrier opens whatever its size. */
const CALLS = 4;
const STATE = 5;
const TIMEOUT = 6;
const SLOTS = 7;

const CLOSED = 0;
const OPENED = 1;
const TIMED_OUT = 2;

/**
 * How long a call waits at the barrier before it gives up and opens it: never reached when the
 * actor allows the concurrency asked for, it only keeps a test of one that does not from hanging.
 * Well under the blocking HTTP client's 30 s, so a held download ends by the barrier, not by an
 * error, and the test reports the peak.
 */
export const BARRIER_TIMEOUT_MS = 10_000;

/** A gauge in shared memory, with room for a barrier. */
export function newGauge(): InFlightGauge {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * SLOTS));
}

/** Marks a call as started and raises the peak if it is higher. Call at a method's first line. */
function count(gauge: InFlightGauge): void {
  const now = Atomics.add(gauge, NOW, 1) + 1;
  let peak = Atomics.load(gauge, PEAK);
  // Another thread may raise the peak between the load and the store: retry until ours holds.
  while (now > peak) {
    const seen = Atomics.compareExchange(gauge, PEAK, peak, now);
    if (seen === peak) break;
    peak = seen;
  }
}

/**
 * Counts the call, then says whether it must wait at an armed, closed barrier. Opens the
 * barrier itself when this call completes it.
 */
function mustWait(gauge: InFlightGauge): boolean {
  const armed = gauge.length >= SLOTS && Atomics.load(gauge, SIZE) > 0;
  if (armed) Atomics.add(gauge, ARRIVED, 1);
  count(gauge);
  if (!armed || Atomics.load(gauge, STATE) !== CLOSED) return false;
  const full = Atomics.load(gauge, NOW) >= Atomics.load(gauge, SIZE);
  const allArrived = Atomics.load(gauge, ARRIVED) >= Atomics.load(gauge, CALLS);
  if (full || allArrived) {
    open(gauge, OPENED);
    return false;
  }
  return true;
}

function open(gauge: InFlightGauge, how: typeof OPENED | typeof TIMED_OUT): void {
  if (Atomics.compareExchange(gauge, STATE, CLOSED, how) === CLOSED) {
    Atomics.notify(gauge, STATE);
  }
}

/**
 * Marks a call as started in a method that runs on a thread of its own (serial and threaded
 * actors): counts it and, with a barrier armed, blocks this thread until the barrier opens.
 * Call at the method's first line, with `leave` in a `finally`.
 */
export function enter(gauge: InFlightGauge): void {
  if (!mustWait(gauge)) return;
  const timeoutMs = Atomics.load(gauge, TIMEOUT);
  if (Atomics.wait(gauge, STATE, CLOSED, timeoutMs) === 'timed-out') open(gauge, TIMED_OUT);
}

/**
 * `enter` for an async method: its calls share one event loop, so it awaits the barrier
 * instead of blocking, and the next call can arrive meanwhile.
 */
export async function enterAsync(gauge: InFlightGauge): Promise<void> {
  if (!mustWait(gauge)) return;
  const waited = Atomics.waitAsync(gauge, STATE, CLOSED, Atomics.load(gauge, TIMEOUT));
  const outcome = waited.async ? await waited.value : waited.value;
  if (outcome === 'timed-out') open(gauge, TIMED_OUT);
}

/** Marks a call as finished. Call in a `finally`, so a failing call does not leave it counted. */
export function leave(gauge: InFlightGauge): void {
  Atomics.sub(gauge, NOW, 1);
}

export function peakOf(gauge: InFlightGauge): number {
  return Atomics.load(gauge, PEAK);
}

/** Whether the barrier of this run gave up waiting: the actor never reached its size. */
export function barrierTimedOut(gauge: InFlightGauge): boolean {
  return gauge.length >= SLOTS && Atomics.load(gauge, STATE) === TIMED_OUT;
}

/** Clears the counts and disarms the barrier, before a run. */
export function resetGauge(gauge: InFlightGauge): void {
  for (let slot = 0; slot < gauge.length; slot++) Atomics.store(gauge, slot, 0);
}

/**
 * Arms the barrier for the next run of `calls` calls: each call waits until `size` are in flight
 * or all `calls` have arrived. Call after `resetGauge`, before the first call.
 */
export function armBarrier(
  gauge: InFlightGauge,
  size: number,
  calls: number,
  timeoutMs = BARRIER_TIMEOUT_MS,
): void {
  if (gauge.length < SLOTS) throw new Error('this gauge has no room for a barrier: use newGauge()');
  if (!(size >= 1)) throw new Error(`a barrier needs a size of 1 or more, not ${size}`);
  Atomics.store(gauge, CALLS, calls);
  Atomics.store(gauge, TIMEOUT, timeoutMs);
  Atomics.store(gauge, STATE, CLOSED);
  Atomics.store(gauge, ARRIVED, 0);
  Atomics.store(gauge, SIZE, size);
}
