var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { actor } from '@troupe/runtime';
import { LABEL } from './program-code.js'; // expect TROUPE107
/** In a thread-safe module, but the worker would load program-code.ts and run its code. */
let Labeller = class Labeller {
    label() {
        return LABEL;
    }
};
Labeller = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Labeller', kind: 'serial', methods: [['label', false]] })
], Labeller);
export { Labeller };
