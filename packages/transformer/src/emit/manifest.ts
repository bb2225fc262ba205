import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ActorKind, COMPILED_INFO_VERSION } from '@troupe/contract';

export const MANIFEST_FILE = 'troupe-manifest.json';

/** One actor class in `troupe-manifest.json`. */
export interface ManifestActor {
  /** The compiled module that declares the class, relative to the manifest, with `/`. */
  module: string;
  exportName: string;
  kind: ActorKind;
  methods: [string, boolean][];
  /** The worker bundle loaded instead of `module`, relative to the manifest, if any. */
  bundle?: string;
  /** `sha256-<hex>` of the emitted module's content, as written. */
  hash: string;
}

/**
 * `troupe-manifest.json`: every actor class of a build. The multi-machine step loads only the
 * classes listed here, and the hash tells two machines whether they run the same code.
 */
export interface Manifest {
  /** The compiled-info version of the transformer that wrote it. */
  version: number;
  actors: ManifestActor[];
}

type Pending = Omit<ManifestActor, 'module' | 'bundle' | 'hash'>;

/**
 * Collects a build's actors by emitted module and writes the manifest. The hashes are taken
 * when it is written, from the files on disk, so it is written after the compiler wrote them.
 */
export class ManifestWriter {
  private readonly byModule = new Map<string, { actors: Pending[]; bundle?: string }>();
  /** Every module this build emitted, with or without actors. */
  private readonly emitted = new Set<string>();
  private touched = false;

  constructor(readonly dir: string) {}

  /** Records the actors of one emitted module (none: the module has no actor any more). */
  set(jsPath: string, actors: Pending[], bundlePath?: string): void {
    this.touched = true;
    this.emitted.add(path.resolve(jsPath));
    if (actors.length) this.byModule.set(jsPath, { actors, bundle: bundlePath });
    else this.byModule.delete(jsPath);
  }

  get size(): number {
    return this.byModule.size;
  }

  manifest(): Manifest {
    const rel = (file: string) => path.relative(this.dir, file).split(path.sep).join('/');
    const actors: ManifestActor[] = this.unchanged();
    for (const [jsPath, { actors: pending, bundle }] of this.byModule) {
      let hash = 'missing';
      try {
        hash = `sha256-${createHash('sha256').update(fs.readFileSync(jsPath)).digest('hex')}`;
      } catch {
        // Not written (noEmit, or an emit that failed): the entry says so.
      }
      for (const actor of pending) {
        actors.push({
          module: rel(jsPath),
          exportName: actor.exportName,
          kind: actor.kind,
          methods: actor.methods,
          ...(bundle ? { bundle: rel(bundle) } : {}),
          hash,
        });
      }
    }
    actors.sort(
      (a, b) => a.module.localeCompare(b.module) || a.exportName.localeCompare(b.exportName),
    );
    return { version: COMPILED_INFO_VERSION, actors };
  }

  /**
   * The entries of the manifest on disk for modules this build did not emit (an incremental
   * build emits only what changed): kept while their module is there, hashed again.
   */
  private unchanged(): ManifestActor[] {
    const file = path.join(this.dir, MANIFEST_FILE);
    let previous: Manifest;
    try {
      previous = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    } catch {
      return [];
    }
    if (!Array.isArray(previous.actors)) return [];
    const kept: ManifestActor[] = [];
    for (const actor of previous.actors) {
      const jsPath = path.resolve(this.dir, actor.module);
      if (this.emitted.has(jsPath) || !fs.existsSync(jsPath)) continue;
      const hash = `sha256-${createHash('sha256').update(fs.readFileSync(jsPath)).digest('hex')}`;
      kept.push({ ...actor, hash });
    }
    return kept;
  }

  /** Writes the manifest if it changed; removes one this build has nothing for. */
  write(): void {
    if (!this.touched) return;
    const file = path.join(this.dir, MANIFEST_FILE);
    if (!this.byModule.size && this.unchanged().length === 0) {
      fs.rmSync(file, { force: true });
      return;
    }
    const text = `${JSON.stringify(this.manifest(), null, 2)}\n`;
    // No output folder: nothing was emitted (or it was removed since), so nothing to list.
    if (!fs.existsSync(this.dir)) return;
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
    fs.writeFileSync(file, text);
  }
}
