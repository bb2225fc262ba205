var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var Renamed_1;
import { actor as a } from '@troupe/runtime';
/** A serial actor found through a renamed import. */
let Renamed = Renamed_1 = class Renamed {
    constructor() {
        this.n = 0;
    }
    incr(by) {
        this.n += by;
        return this.n;
    }
    hidden() { }
    static create() {
        return new Renamed_1();
    }
};
Renamed = Renamed_1 = __decorate([
    a(void 0, { version: 1, module: import.meta.url, exportName: 'Renamed', kind: 'serial', methods: [['incr', false]] })
], Renamed);
export { Renamed };
