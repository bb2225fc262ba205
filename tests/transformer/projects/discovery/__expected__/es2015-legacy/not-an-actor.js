var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
/** A local function named `actor`: not the runtime's, so the class is left alone. */
function actor(_options) {
    return (target, _context) => target;
}
let Plain = class Plain {
    go() { }
};
Plain = __decorate([
    actor({ maxConcurrency: 2 })
], Plain);
export { Plain };
