var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { actor } from '@troupe/runtime';
let config;
let base = 1;
let Reader = class Reader {
    read() {
        var _a;
        return (_a = config === null || config === void 0 ? void 0 : config.prefix) !== null && _a !== void 0 ? _a : ''; // expect TROUPE107
    }
};
Reader = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Reader', kind: 'serial', methods: [['read', false]], bundle: './setup.troupe.js' })
], Reader);
export { Reader };
let Adder = class Adder {
    add(n) {
        return n + base; // expect TROUPE107
    }
};
Adder = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Adder', kind: 'serial', methods: [['add', false]], bundle: './setup.troupe.js' })
], Adder);
export { Adder };
function init() {
    config = { prefix: '>' };
}
init();
base = 10;
