/**
 * What a single-file bundle (the `@troupe/transformer/esbuild` plugin) tells the runtime, in a
 * global its entry sets before anything runs: workers start the bundle itself (there is no
 * `host/entry.js` beside it), and actor modules are found by registry key instead of by file.
 */
export interface BundledApp {
  /** URL of the bundle: the worker's main module. */
  entry: string;
  /** Loaders of the actor modules (and worker bundles) it holds, by the key their info names. */
  modules: Record<string, () => Promise<Record<string, unknown>>>;
}

/** The argument that tells a bundle started as a worker to serve an actor, not run the app. */
export const HOST_ARGUMENT = '--troupe-host';

export function bundledApp(): BundledApp | undefined {
  return (globalThis as { [key: symbol]: BundledApp | undefined })[Symbol.for('troupe.bundle')];
}

/** The module registered under `url` by the bundle, if this is a bundle that has it. */
export function loadBundled(url: string): Promise<Record<string, unknown>> | undefined {
  return bundledApp()?.modules[url]?.();
}
