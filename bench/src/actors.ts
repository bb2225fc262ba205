/**
 * The Troupe actors the benchmark spawns. Workers import this module by itself (there is no
 * transformer yet), so it must stay free of top-level effects: classes and imports only.
 */
import { actor, transfer } from '@troupe/runtime';
import { blockFor, spin } from './work.js';

/** Serial: one call at a time, in submission order. */
@actor()
export class Echo {
  echo(x: unknown): unknown {
    return x;
  }

  /** Hands the buffer back moved, not copied. */
  bounce(buffer: ArrayBuffer): ArrayBuffer {
    return transfer(buffer, [buffer]);
  }
}

/** Async: calls interleave on one event loop. */
@actor({ maxConcurrency: 1000 })
export class AsyncEcho {
  async echo(x: unknown): Promise<unknown> {
    return x;
  }
}

/** Threaded: spawned with `maxConcurrency: 1` for call overhead, so one thread. */
@actor({ maxConcurrency: 4 })
export class ThreadedEcho {
  echo(x: unknown): unknown {
    return x;
  }
}

/** IO-bound, async: a call waits `ms` without holding the event loop. */
@actor({ maxConcurrency: 20 })
export class AsyncSleeper {
  async sleep(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  }
}

/** IO-bound, threaded: a call blocks its thread for `ms`, as a blocking client library would. */
@actor({ maxConcurrency: 20 })
export class BlockingSleeper {
  sleep(ms: number): number {
    blockFor(ms);
    return ms;
  }
}

/** CPU-bound, threaded: spawned with 1..N threads. */
@actor({ maxConcurrency: 4 })
export class Cpu {
  work(iterations: number): number {
    return spin(iterations);
  }
}

/**
 * Serial: `hold` keeps the actor busy without blocking its event loop until the gate opens, so
 * the calls sent meanwhile queue inside its worker (the cost-growth group).
 */
// `hold` returns a promise without being async: without the analysis the kind must be declared.
@actor({ kind: 'serial' })
export class Gate {
  hold(gate: Int32Array): Promise<unknown> | undefined {
    Atomics.store(gate, 1, 1);
    const waited = Atomics.waitAsync(gate, 0, 0);
    return waited.async ? waited.value : undefined;
  }

  echo(x: unknown): unknown {
    return x;
  }
}

/** Threaded, spawned with one thread: `hold` blocks it, so calls queue in the pool. */
@actor({ maxConcurrency: 2 })
export class ThreadedGate {
  hold(gate: Int32Array): void {
    Atomics.store(gate, 1, 1);
    Atomics.wait(gate, 0, 0);
  }

  echo(x: unknown): unknown {
    return x;
  }
}
