var __esDecorate = (this && this.__esDecorate) || function (ctor, descriptorIn, decorators, contextIn, initializers, extraInitializers) {
    function accept(f) { if (f !== void 0 && typeof f !== "function") throw new TypeError("Function expected"); return f; }
    var kind = contextIn.kind, key = kind === "getter" ? "get" : kind === "setter" ? "set" : "value";
    var target = !descriptorIn && ctor ? contextIn["static"] ? ctor : ctor.prototype : null;
    var descriptor = descriptorIn || (target ? Object.getOwnPropertyDescriptor(target, contextIn.name) : {});
    var _, done = false;
    for (var i = decorators.length - 1; i >= 0; i--) {
        var context = {};
        for (var p in contextIn) context[p] = p === "access" ? {} : contextIn[p];
        for (var p in contextIn.access) context.access[p] = contextIn.access[p];
        context.addInitializer = function (f) { if (done) throw new TypeError("Cannot add initializers after decoration has completed"); extraInitializers.push(accept(f || null)); };
        var result = (0, decorators[i])(kind === "accessor" ? { get: descriptor.get, set: descriptor.set } : descriptor[key], context);
        if (kind === "accessor") {
            if (result === void 0) continue;
            if (result === null || typeof result !== "object") throw new TypeError("Object expected");
            if (_ = accept(result.get)) descriptor.get = _;
            if (_ = accept(result.set)) descriptor.set = _;
            if (_ = accept(result.init)) initializers.unshift(_);
        }
        else if (_ = accept(result)) {
            if (kind === "field") initializers.unshift(_);
            else descriptor[key] = _;
        }
    }
    if (target) Object.defineProperty(target, contextIn.name, descriptor);
    done = true;
};
var __runInitializers = (this && this.__runInitializers) || function (thisArg, initializers, value) {
    var useValue = arguments.length > 2;
    for (var i = 0; i < initializers.length; i++) {
        value = useValue ? initializers[i].call(thisArg, value) : initializers[i].call(thisArg);
    }
    return useValue ? value : void 0;
};
import { actor, method } from '@troupe/runtime';
const THREADS = 8;
let ConstThreads = (() => {
    let _classDecorators = [actor({ maxConcurrency: THREADS }, { version: 1, module: import.meta.url, exportName: 'ConstThreads', kind: 'threaded', methods: [['work', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    var ConstThreads = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            ConstThreads = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        work() {
            return THREADS;
        }
    };
    return ConstThreads = _classThis;
})();
export { ConstThreads };
let Grouped = (() => {
    let _classDecorators = [actor({ concurrencyGroups: { io: 2, compute: 4 } }, { version: 1, module: import.meta.url, exportName: 'Grouped', kind: 'threaded', methods: [['read', false], ['crunch', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    let _instanceExtraInitializers = [];
    let _read_decorators;
    let _crunch_decorators;
    var Grouped = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            _read_decorators = [method({ concurrencyGroup: 'io' })];
            _crunch_decorators = [method({ concurrencyGroup: 'compute' })];
            __esDecorate(this, null, _read_decorators, { kind: "method", name: "read", static: false, private: false, access: { has: obj => "read" in obj, get: obj => obj.read }, metadata: _metadata }, null, _instanceExtraInitializers);
            __esDecorate(this, null, _crunch_decorators, { kind: "method", name: "crunch", static: false, private: false, access: { has: obj => "crunch" in obj, get: obj => obj.crunch }, metadata: _metadata }, null, _instanceExtraInitializers);
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            Grouped = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        read() {
            return 'r';
        }
        crunch() {
            return 2;
        }
        constructor() {
            __runInitializers(this, _instanceExtraInitializers);
        }
    };
    return Grouped = _classThis;
})();
export { Grouped };
let OneAtATime = (() => {
    let _classDecorators = [actor({ maxConcurrency: 1 }, { version: 1, module: import.meta.url, exportName: 'OneAtATime', kind: 'serial', methods: [['step', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    var OneAtATime = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            OneAtATime = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        step() { }
    };
    return OneAtATime = _classThis;
})();
export { OneAtATime };
let Explicit = (() => {
    let _classDecorators = [actor({ kind: 'threaded', maxConcurrency: 2 }, { version: 1, module: import.meta.url, exportName: 'Explicit', kind: 'threaded', methods: [['go', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    var Explicit = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            Explicit = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        go() { }
    };
    return Explicit = _classThis;
})();
export { Explicit };
let Unexported = (() => {
    let _classDecorators = [actor(void 0, { version: 1, module: import.meta.url, exportName: 'Unexported', kind: 'serial', methods: [['ping', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    var Unexported = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            Unexported = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        ping() {
            return 'pong';
        }
    };
    return Unexported = _classThis;
})();
let Renamed2 = (() => {
    let _classDecorators = [actor(void 0, { version: 1, module: import.meta.url, exportName: 'PublicName', kind: 'serial', methods: [['ping', false]], bundle: './kinds.troupe.js' })];
    let _classDescriptor;
    let _classExtraInitializers = [];
    let _classThis;
    var Renamed2 = class {
        static { _classThis = this; }
        static {
            const _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
            __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
            Renamed2 = _classThis = _classDescriptor.value;
            if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
            __runInitializers(_classThis, _classExtraInitializers);
        }
        ping() {
            return 'pong';
        }
    };
    return Renamed2 = _classThis;
})();
export { Renamed2 as PublicName };
export const keep = Unexported;
