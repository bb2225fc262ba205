import { actor } from '@troupe/runtime';
import { LABEL } from './program-code.js'; // expect TROUPE107

/** In a thread-safe module, but the worker would load program-code.ts and run its code. */
@actor()
export class Labeller {
  label(): string {
    return LABEL;
  }
}
