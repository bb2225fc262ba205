var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import * as troupe from '@troupe/runtime';
/** A threaded actor found through a namespace import. */
let Hasher = class Hasher {
    hash(text) {
        let h = 0;
        for (const c of text)
            h = (h * 31 + c.charCodeAt(0)) | 0;
        return h;
    }
};
Hasher = __decorate([
    troupe.actor({ maxConcurrency: 4 }, { version: 1, module: import.meta.url, exportName: 'Hasher', kind: 'threaded', methods: [['hash', false]] })
], Hasher);
export { Hasher };
