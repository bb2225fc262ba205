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
import { actor } from './barrel.js';
class Base {
    describe() {
        return 'base';
    }
    load() {
        return Promise.resolve('loaded');
    }
}
/**
 * Async through a declared Promise return type (inherited), an inferred one and the keyword; found
 * through a re-export.
 */
let Fetcher = class Fetcher extends Base {
    constructor() {
        super(...arguments);
        this.run = () => __awaiter(this, void 0, void 0, function* () { });
    }
    get(url) {
        return __awaiter(this, void 0, void 0, function* () {
            return url.length;
        });
    }
    later() {
        return new Promise((resolve) => setTimeout(() => resolve(1), 1));
    }
    size() {
        return 1;
    }
};
Fetcher = __decorate([
    actor(void 0, { version: 1, module: import.meta.url, exportName: 'Fetcher', kind: 'async', methods: [['get', true], ['later', true], ['size', false], ['run', true], ['describe', false], ['load', true]] })
], Fetcher);
export { Fetcher };
