var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { actor, method } from '@troupe/runtime';
const THREADS = 8;
let ConstThreads = class ConstThreads {
    work() {
        return THREADS;
    }
};
ConstThreads = __decorate([
    actor({ maxConcurrency: THREADS }, { version: 1, module: import.meta.url, exportName: 'ConstThreads', kind: 'threaded', methods: [['work', false]], bundle: './kinds.troupe.js' })
], ConstThreads);
export { ConstThreads };
let Grouped = class Grouped {
    read() {
        return 'r';
    }
    crunch() {
        return 2;
    }
};
__decorate([
    method({ concurrencyGroup: 'io' })
], Grouped.prototype, "read", null);
__decorate([
    method({ concurrencyGroup: 'compute' })
], Grouped.prototype, "crunch", null);
Grouped = __decorate([
    actor({ concurrencyGroups: { io: 2, compute: 4 } }, { version: 1, module: import.meta.url, exportName: 'Grouped', kind: 'threaded', methods: [['read', false], ['crunch', false]], bundle: './kinds.troupe.js' })
], Grouped);
export { Grouped };
let OneAtATime = class OneAtATime {
    step() { }
};
OneAtATime = __decorate([
    actor({ maxConcurrency: 1 }, { version: 1, module: import.meta.url, exportName: 'OneAtATime', kind: 'serial', methods: [['step', false]], bundle: './kinds.troupe.js' })
], OneAtATime);
export { OneAtATime };
let Explicit = class Explicit {
    go() { }
};
Explicit = __decorate([
    actor({ kind: 'threaded', maxConcurrency: 2 }, { version: 1, module: import.meta.url, exportName: 'Explicit', kind: 'threaded', methods: [['go', false]], bundle: './kinds.troupe.js' })
], Explicit);
export { Explicit };
let Unexported = class Unexported {
    ping() {
        return 'pong';
    }
};
Unexported = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Unexported', kind: 'serial', methods: [['ping', false]], bundle: './kinds.troupe.js' })
], Unexported);
let Renamed2 = class Renamed2 {
    ping() {
        return 'pong';
    }
};
Renamed2 = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'PublicName', kind: 'serial', methods: [['ping', false]], bundle: './kinds.troupe.js' })
], Renamed2);
export { Renamed2 as PublicName };
export const keep = Unexported;
