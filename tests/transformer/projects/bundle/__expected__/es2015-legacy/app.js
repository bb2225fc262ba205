var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { actor, spawn } from '@troupe/runtime';
import { format } from './format.js';
const GREETING = 'hello';
function shout(text) {
    return `${text.toUpperCase()}!`;
}
class Helper {
    twice(n) {
        return n * 2;
    }
}
let unrelated = 0;
/** Declared beside the code that drives it: the worker gets it from app.troupe.js. */
let Greeter = class Greeter {
    constructor() {
        this.helper = new Helper();
    }
    greet(name) {
        return format(shout(`${GREETING} ${name}`)) + this.helper.twice(1);
    }
};
Greeter = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Greeter', kind: 'serial', methods: [['greet', false]], bundle: './app.troupe.js' })
], Greeter);
export { Greeter };
console.log('top-level code runs here');
unrelated += 1;
void spawn(Greeter).greet('x');
