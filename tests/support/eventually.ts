/**
 * Asks `read` again until `done` holds of its answer: for what an actor does after it answered a
 * call (a generator's `finally` after `return()`), where no message tells when. Each try is a
 * round trip to the actor, so it waits on the actor, not on a clock; it gives up after `tries`.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  tries = 2000,
): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((resolve) => setImmediate(resolve));
    value = await read();
  }
  return value;
}
