import { actor, method } from '@troupe/runtime';

@actor({ concurrencyGroups: { io: 2 } })
export class Grouped {
  @method({ concurrencyGroup: 'io' })
  read(): number {
    return 1;
  }
  @method({ concurrencyGroup: 'cpu' }) // expect TROUPE104
  crunch(): number {
    return 2;
  }
}
