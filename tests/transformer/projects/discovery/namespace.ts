import * as troupe from '@troupe/runtime';

/** A threaded actor found through a namespace import. */
@troupe.actor({ maxConcurrency: 4 })
export class Hasher {
  hash(text: string): number {
    let h = 0;
    for (const c of text) h = (h * 31 + c.charCodeAt(0)) | 0;
    return h;
  }
}
