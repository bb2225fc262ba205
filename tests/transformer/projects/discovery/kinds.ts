import { actor, method } from '@troupe/runtime';

const THREADS = 8;

@actor({ maxConcurrency: THREADS })
export class ConstThreads {
  work(): number {
    return THREADS;
  }
}

@actor({ concurrencyGroups: { io: 2, compute: 4 } })
export class Grouped {
  @method({ concurrencyGroup: 'io' })
  read(): string {
    return 'r';
  }
  @method({ concurrencyGroup: 'compute' })
  crunch(): number {
    return 2;
  }
}

@actor({ maxConcurrency: 1 })
export class OneAtATime {
  step(): void {}
}

@actor({ kind: 'threaded', maxConcurrency: 2 })
export class Explicit {
  go(): void {}
}

@actor()
class Unexported {
  ping(): string {
    return 'pong';
  }
}

@actor()
class Renamed2 {
  ping(): string {
    return 'pong';
  }
}

export { Renamed2 as PublicName };
export const keep = Unexported;
