import { actor } from '@troupe/runtime';

export function makeActor() {
  @actor()
  class Inner {
    // ^ expect TROUPE105 (on the line above)
    go(): void {}
  }
  return Inner;
}
