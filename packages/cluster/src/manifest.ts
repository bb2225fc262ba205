import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ActorDefinitionError } from '@troupe/runtime';

/** One class of `troupe-manifest.json` (written by the transformer). */
export interface ManifestActor {
  module: string;
  exportName: string;
  kind: string;
  hash: string;
}

/** `sha256-<hex>` of a file's content, as the manifest writes it. */
export function fileHash(file: string): string {
  return `sha256-${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

const hashes = new Map<string, string>();

/** The content hash of the compiled module at `moduleUrl` (read once). */
export function moduleHash(moduleUrl: string): string {
  let hash = hashes.get(moduleUrl);
  if (hash === undefined) {
    hash = moduleUrl.startsWith('file:') ? fileHash(fileURLToPath(moduleUrl)) : 'unknown';
    hashes.set(moduleUrl, hash);
  }
  return hash;
}

/** How a class is named across machines: its export and its module's content hash. */
export function classKey(exportName: string, hash: string): string {
  return `${exportName}@${hash}`;
}

/** The classes a node may host: those its manifest lists, loaded only when first spawned. */
export class Manifest {
  private readonly byKey = new Map<string, ManifestActor>();
  private readonly loaded = new Map<string, Promise<unknown>>();

  constructor(readonly file: string) {
    const text = readFileSync(file, 'utf8');
    const parsed = JSON.parse(text) as { actors?: ManifestActor[] };
    if (!Array.isArray(parsed.actors)) {
      throw new TypeError(`${file} is not a troupe-manifest.json (no "actors" list).`);
    }
    for (const actor of parsed.actors)
      this.byKey.set(classKey(actor.exportName, actor.hash), actor);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The class listed under `key`, its module checked against the hash before it is imported. */
  load(key: string, node: string): Promise<unknown> {
    let loading = this.loaded.get(key);
    if (loading === undefined) {
      loading = this.import(key, node);
      this.loaded.set(key, loading);
      loading.catch(() => this.loaded.delete(key));
    }
    return loading;
  }

  private async import(key: string, node: string): Promise<unknown> {
    const actor = this.byKey.get(key);
    if (actor === undefined) throw refused(key, node, this.file);
    const file = path.resolve(path.dirname(this.file), actor.module);
    const hash = fileHash(file);
    if (hash !== actor.hash) {
      throw new ActorDefinitionError(
        `node ${node}: ${file} changed since ${this.file} was written (hash ${hash}, listed ` +
          `${actor.hash}); rebuild, then restart troupe-node.`,
      );
    }
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const cls = module[actor.exportName];
    if (typeof cls !== 'function') {
      throw new ActorDefinitionError(
        `node ${node}: ${file} does not export ${actor.exportName} (listed in ${this.file}).`,
      );
    }
    return cls;
  }
}

export function refused(key: string, node: string, file: string): ActorDefinitionError {
  const [exportName, hash] = key.split('@');
  return new ActorDefinitionError(
    `node ${node} does not host class ${exportName} (module hash ${hash}): its manifest ` +
      `${file} does not list it with that hash. Build the driver and the nodes from the same ` +
      'code (the hash is of the compiled module), and start troupe-node with that build’s ' +
      'troupe-manifest.json.',
  );
}
