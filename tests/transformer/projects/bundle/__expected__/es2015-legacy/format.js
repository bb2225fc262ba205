/** A thread-safe module: the worker imports it as it is. */
export function format(text) {
    return `[${text}]`;
}
