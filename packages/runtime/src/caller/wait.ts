import { timeoutOf } from '../options.js';

/** Options of `wait`. */
export interface WaitOptions {
  /** How many calls must have settled. @default 1 */
  numReturns?: number;
  /** Return after this long even if fewer have settled (Infinity: no limit). @default no limit */
  timeoutMs?: number;
}

/**
 * Waits until `numReturns` of the calls have settled (or `timeoutMs` passed), as Ray's
 * `ray.wait`: `ready` holds up to `numReturns` settled calls and `pending` the others, each in
 * input order.
 *
 * @example
 * const { ready, pending } = await wait(calls, { numReturns: 2, timeoutMs: 1000 });
 */
export function wait<T>(
  calls: readonly Promise<T>[],
  options: WaitOptions = {},
): Promise<{ ready: Promise<T>[]; pending: Promise<T>[] }> {
  const numReturns = options.numReturns ?? 1;
  if (!(Number.isInteger(numReturns) && numReturns >= 0 && numReturns <= calls.length)) {
    throw new TypeError(
      `wait(calls, options): numReturns must be a whole number from 0 to the number of calls ` +
        `(${calls.length}), not ${numReturns}.`,
    );
  }
  const timeoutMs = timeoutOf('wait(calls, options)', options.timeoutMs);
  return new Promise((resolve) => {
    const settled = new Set<number>();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      const ready: Promise<T>[] = [];
      const pending: Promise<T>[] = [];
      calls.forEach((call, i) => {
        if (settled.has(i) && ready.length < numReturns) ready.push(call);
        else pending.push(call);
      });
      resolve({ ready, pending });
    };
    const mark = (i: number) => {
      settled.add(i);
      if (settled.size >= numReturns) finish();
    };
    calls.forEach((call, i) => {
      call.then(
        () => mark(i),
        () => mark(i),
      );
    });
    if (timeoutMs !== undefined) timer = setTimeout(finish, timeoutMs);
    if (numReturns === 0) finish();
  });
}
