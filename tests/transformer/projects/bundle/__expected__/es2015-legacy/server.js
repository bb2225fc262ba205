var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
import { once } from 'node:events';
import * as http from 'node:http';
import { actor, spawn } from '@troupe/runtime';
// The README's async example: a server the program starts, and a URL built from its port.
const server = http.createServer((_, res) => res.end('ok'));
server.listen(0);
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;
const retries = 3;
let Fetcher = class Fetcher {
    get(path) {
        return __awaiter(this, void 0, void 0, function* () {
            for (let i = 0; i < retries; i++) {
                const res = yield fetch(`${base}/${path}`); // expect TROUPE107
                if (res.ok)
                    return res.status;
            }
            return 0;
        });
    }
};
Fetcher = __decorate([
    actor({ maxConcurrency: 4 }, { version: 1, module: import.meta.url, exportName: 'Fetcher', kind: 'async', methods: [['get', true]], bundle: './server.troupe.js' })
], Fetcher);
export { Fetcher };
console.log(await spawn(Fetcher).get('x'));
