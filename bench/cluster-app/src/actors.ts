/**
 * The actors the cluster group places on a `troupe-node`. Built with the transformer, so
 * `dist/troupe-manifest.json` lists them by the hash of their compiled module: the bench's
 * driver imports them from `dist/actors.js`, the node loads the same file.
 */
import { actor } from '@troupe/runtime';

/** Serial: one call at a time, in submission order. */
@actor()
export class Echo {
  echo(x: unknown): unknown {
    return x;
  }
}

/** Async: calls interleave on one event loop. */
@actor({ maxConcurrency: 1000 })
export class AsyncEcho {
  async echo(x: unknown): Promise<unknown> {
    return x;
  }
}
