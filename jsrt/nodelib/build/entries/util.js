'use strict';
// Node's util: the util package (promisify, callbackify, inherits, deprecate, types, the old
// is* predicates: Node's own code of its time), with inspect, format and formatWithOptions from
// node-inspect-extracted, which is Node's current lib/internal/util/inspect.js lifted unchanged.
// That part builds Node's primordials when it loads (milliseconds), so it loads on first use.
const util = require('util/');

function isDeepStrictEqual(a, b) {
  // Loaded on first use: assert's comparisons require util, which is this module.
  return require('assert/build/internal/util/comparisons').isDeepStrictEqual(a, b);
}

module.exports = Object.assign({}, util, { isDeepStrictEqual });
if (typeof TextEncoder === 'function') module.exports.TextEncoder = TextEncoder;
if (typeof TextDecoder === 'function') module.exports.TextDecoder = TextDecoder;

let inspect;
for (const name of ['inspect', 'format', 'formatWithOptions']) {
  Object.defineProperty(module.exports, name, {
    configurable: true,
    enumerable: true,
    get() {
      inspect = inspect || require('node-inspect-extracted');
      return inspect[name];
    },
    set(value) {
      Object.defineProperty(this, name, { value, writable: true, configurable: true, enumerable: true });
    },
  });
}
