// Host bootstrap: run once per runtime before any user code, with the Go
// natives as `host`. Defines the globals (heavy ones lazily) and returns
// {require, reset}. Intrinsics are captured here so later user changes
// to globals do not break the host.
//
// Node's library comes from two places: nodelib's npm polyfills (assert,
// buffer, events, path, punycode, querystring, stream, stream/web,
// string_decoder, url, util), which require() loads through host.loadNodelib, and what
// this file writes by hand because only the sandbox can decide it or Go
// does it better: console, timers, process, os, TextEncoder/TextDecoder,
// crypto over Go's primitives, Event/EventTarget/AbortController,
// fetch/Headers/Request/Response and the http/https request shims over the
// guarded client, zlib over Go's compress packages, and net, tls and fs
// modules that load but refuse to be used.
//
// A runtime serves many executions of one program, as a warm Node process
// does: the lazily built modules and globals live as long as the runtime.
// Only the console's counters (count, time) are per execution: their first
// use in an execution calls host.touch(), and the Go side then calls
// reset() after that execution.
(function (host) {
  'use strict';
  const g = globalThis;
  const defineProperty = Object.defineProperty;
  const ObjectKeys = Object.keys;
  const ArrayIsArray = Array.isArray;
  const StringCtor = String;
  // JSON, Promise and the typed arrays are looked up when used, not here:
  // touching a builtin makes goja materialise it, and most executions never
  // need them. A script that replaces them only affects itself.
  const JSONStringify = (v, r, s) => JSON.stringify(v, r, s);
  const PromiseResolve = (v) => Promise.resolve(v);
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;

  // goja has no Symbol.asyncIterator. esbuild's lowered for-await and async
  // generators fall back on Symbol.for('Symbol.asyncIterator'), so defining
  // it as that key makes bundles, nodelib's streams and scripts agree.
  if (!Symbol.asyncIterator) defineProperty(Symbol, 'asyncIterator', { value: Symbol.for('Symbol.asyncIterator') });

  function hidden(obj, name, value) {
    defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  }
  let touched = false;
  function touch() {
    if (!touched) { touched = true; host.touch(); }
  }
  // A lazy global is built on first use and kept for the runtime's life.
  function lazy(obj, name, make) {
    const l = { has: false, value: undefined };
    defineProperty(obj, name, {
      configurable: true,
      enumerable: false,
      get() { if (!l.has) { l.value = make(); l.has = true; } return l.value; },
      set(v) { l.value = v; l.has = true; },
    });
  }

  // ---- util.format / inspect -------------------------------------------
  function inspect(value, opts) {
    const depthLimit = opts && typeof opts.depth === 'number' ? opts.depth : 2;
    const seen = [];
    function str(s) { return JSONStringify(s).replace(/^"|"$/g, "'").replace(/\\"/g, '"'); }
    function fmt(v, depth, top) {
      switch (typeof v) {
        case 'string': return top ? v : str(v);
        case 'number': return Object.is(v, -0) ? '-0' : StringCtor(v);
        case 'bigint': return StringCtor(v) + 'n';
        case 'boolean': return StringCtor(v);
        case 'undefined': return 'undefined';
        case 'symbol': return v.toString();
        case 'function': return v.name ? '[Function: ' + v.name + ']' : '[Function (anonymous)]';
      }
      if (v === null) return 'null';
      if (seen.indexOf(v) !== -1) return '[Circular *1]';
      if (v instanceof ErrorCtor) return v.stack || (v.name + ': ' + v.message);
      if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
      if (v instanceof RegExp) return v.toString();
      if (typeof Buffer !== 'undefined' && v instanceof Uint8Array && v.constructor && v.constructor.name === 'Buffer') {
        let hex = '';
        for (let i = 0; i < Math.min(v.length, 50); i++) hex += (i ? ' ' : '') + (v[i] < 16 ? '0' : '') + v[i].toString(16);
        return '<Buffer' + (hex ? ' ' + hex : '') + (v.length > 50 ? ' ... ' + (v.length - 50) + ' more bytes' : '') + '>';
      }
      if (v instanceof Promise) return 'Promise { <pending> }';
      if (depth > depthLimit) return ArrayIsArray(v) ? '[Array]' : '[Object]';
      seen.push(v);
      try {
        if (ArrayIsArray(v)) {
          const items = [];
          const n = Math.min(v.length, 100);
          for (let i = 0; i < n; i++) items.push(fmt(v[i], depth + 1, false));
          if (v.length > 100) items.push('... ' + (v.length - 100) + ' more items');
          return items.length ? '[ ' + items.join(', ') + ' ]' : '[]';
        }
        if (v instanceof Map) {
          const items = [];
          v.forEach((val, k) => items.push(fmt(k, depth + 1, false) + ' => ' + fmt(val, depth + 1, false)));
          return 'Map(' + v.size + ') {' + (items.length ? ' ' + items.join(', ') + ' ' : '') + '}';
        }
        if (v instanceof Set) {
          const items = [];
          v.forEach((val) => items.push(fmt(val, depth + 1, false)));
          return 'Set(' + v.size + ') {' + (items.length ? ' ' + items.join(', ') + ' ' : '') + '}';
        }
        const keys = ObjectKeys(v);
        const parts = [];
        for (const k of keys) {
          const name = /^[A-Za-z_$][\w$]*$/.test(k) ? k : str(k);
          parts.push(name + ': ' + fmt(v[k], depth + 1, false));
        }
        const ctor = v.constructor && v.constructor.name;
        const prefix = ctor && ctor !== 'Object' ? ctor + ' ' : (Object.getPrototypeOf(v) === null ? '[Object: null prototype] ' : '');
        return prefix + (parts.length ? '{ ' + parts.join(', ') + ' }' : '{}');
      } finally {
        seen.pop();
      }
    }
    return fmt(value, 0, false);
  }

  // formatList is util.format over an array-like (a console method's
  // `arguments`, so no rest array or spread iterator is built per call). It
  // finds placeholders with indexOf: indexing a string one character at a
  // time costs goja an object per character.
  function formatList(args) {
    const n = args.length;
    if (n === 0) return '';
    const first = args[0];
    let out = '';
    let i = 1;
    if (typeof first !== 'string') {
      out = inspect(first);
    } else if (n === 1) {
      // As Node: a lone string is printed as is, '%%' included.
      return first;
    } else {
      let last = 0;
      let j = first.indexOf('%');
      while (j !== -1 && j < first.length - 1) {
        const c = first[j + 1];
        let rep;
        switch (c) {
          case 's': {
            if (i >= n) break;
            const a = args[i++];
            rep = typeof a === 'string' ? a : (typeof a === 'object' && a !== null ? inspect(a, { depth: 1 }) : typeof a === 'bigint' ? a + 'n' : StringCtor(a));
            break;
          }
          case 'd': case 'i': {
            if (i >= n) break;
            const a = args[i++];
            rep = typeof a === 'bigint' ? a + 'n' : StringCtor(c === 'i' ? parseInt(a) : Number(a));
            break;
          }
          case 'f': if (i < n) rep = StringCtor(parseFloat(args[i++])); break;
          case 'j': {
            if (i >= n) break;
            try { rep = JSONStringify(args[i++]); } catch (e) { rep = '[Circular]'; }
            if (rep === undefined) rep = 'undefined';
            break;
          }
          case 'o': case 'O': if (i < n) rep = inspect(args[i++], { depth: 4 }); break;
          case 'c': if (i < n) { i++; rep = ''; } break;
          case '%': rep = '%'; break;
        }
        if (rep === undefined) {
          j = first.indexOf('%', j + 1);
          continue;
        }
        out += first.slice(last, j) + rep;
        last = j + 2;
        j = first.indexOf('%', last);
      }
      out += last === 0 ? first : first.slice(last);
    }
    for (; i < n; i++) {
      const a = args[i];
      out += ' ' + (typeof a === 'string' ? a : inspect(a));
    }
    return out;
  }
  function format(...args) { return formatList(args); }

  // ---- console ---------------------------------------------------------
  const consoleObj = {};
  const timers = new Map();
  const counts = new Map();
  // The level methods are native (host.consoleMethod): once the execution's
  // output reached its cap they only count the write, before any arguments
  // object is built or formatted, so a script logging in a loop costs little
  // more than the loop. Below the cap they call formatArgs.
  function formatArgs() { return formatList(arguments); }
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    hidden(consoleObj, level, host.consoleMethod(level, formatArgs));
  }
  hidden(consoleObj, 'dir', function (obj) { if (!host.consoleFull()) host.write('log', inspect(obj)); });
  hidden(consoleObj, 'table', function (obj) { if (!host.consoleFull()) host.write('log', inspect(obj)); });
  hidden(consoleObj, 'assert', function (cond, ...args) { if (!cond && !host.consoleFull()) host.write('error', 'Assertion failed' + (args.length ? ': ' + formatList(args) : '')); });
  hidden(consoleObj, 'time', function (label = 'default') { touch(); timers.set(label, Date.now()); });
  hidden(consoleObj, 'timeEnd', function (label = 'default') {
    if (timers.has(label)) { host.write('log', label + ': ' + (Date.now() - timers.get(label)) + 'ms'); timers.delete(label); }
  });
  hidden(consoleObj, 'count', function (label = 'default') { touch(); const n = (counts.get(label) || 0) + 1; counts.set(label, n); host.write('log', label + ': ' + n); });
  hidden(consoleObj, 'group', function () {});
  hidden(consoleObj, 'groupEnd', function () {});
  hidden(g, 'console', consoleObj);
  hidden(g, 'global', g);
  // Bundles are built for the browser platform; some of their files find
  // the global object (or a global such as FormData) through self.
  hidden(g, 'self', g);

  // ---- timers, microtasks ------------------------------------------------
  const ID = Symbol('timerId');
  class Timeout {
    constructor(id) { this[ID] = id; }
    ref() { host.refTimer(this[ID], true); return this; }
    unref() { host.refTimer(this[ID], false); return this; }
    hasRef() { return true; }
    refresh() { return this; }
    [Symbol.toPrimitive]() { return this[ID]; }
  }
  function timerId(t) { return t !== null && typeof t === 'object' ? t[ID] : Number(t); }
  hidden(g, 'setTimeout', function setTimeout(fn, delay, ...args) { return new Timeout(host.timer(fn, delay, args, false)); });
  hidden(g, 'setInterval', function setInterval(fn, delay, ...args) { return new Timeout(host.timer(fn, delay, args, true)); });
  hidden(g, 'setImmediate', function setImmediate(fn, ...args) { return new Timeout(host.timer(fn, 0, args, false)); });
  for (const name of ['clearTimeout', 'clearInterval', 'clearImmediate']) {
    hidden(g, name, function (t) { if (t != null) host.clearTimer(timerId(t)); });
  }
  function queueMicrotask(fn) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
    PromiseResolve().then(() => fn());
  }
  hidden(g, 'queueMicrotask', queueMicrotask);

  // ---- process ---------------------------------------------------------
  const started = Date.now();
  const processObj = {
    env: {},
    version: 'v18.0.0',
    versions: { node: '18.0.0' },
    platform: 'linux',
    arch: 'x64',
    argv: ['node', '/hook.js'],
    execArgv: [],
    pid: 1,
    release: { name: 'node' },
    title: 'node',
    browser: false,
    nextTick(fn, ...args) {
      if (typeof fn !== 'function') throw new TypeErrorCtor('The "callback" argument must be of type function');
      queueMicrotask(() => fn(...args));
    },
    cwd() { return '/'; },
    uptime() { return (Date.now() - started) / 1000; },
    hrtime: Object.assign(function hrtime(prev) {
      const ms = Date.now();
      let s = Math.floor(ms / 1000), ns = (ms % 1000) * 1e6;
      if (prev) { s -= prev[0]; ns -= prev[1]; if (ns < 0) { s--; ns += 1e9; } }
      return [s, ns];
    }, { bigint() { return BigInt(Date.now()) * 1000000n; } }),
    memoryUsage() { return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }; },
    emitWarning() {},
    on() { return processObj; },
    once() { return processObj; },
    off() { return processObj; },
    removeListener() { return processObj; },
    listeners() { return []; },
    emit() { return false; },
    binding() { throw new ErrorCtor('No such module'); },
  };
  hidden(g, 'process', processObj);

  // ---- require ---------------------------------------------------------
  // The built-in modules: the host's own first (Go-backed, or what only
  // the sandbox can decide: crypto, os, process, timers, the http/https
  // request shims over the guarded client, zlib, and net, tls and fs that
  // load but refuse to be used), then nodelib's npm polyfills. Each is
  // loaded once and kept for the runtime's life, and nodelib's modules are
  // handed this same require so that they share one Buffer, one
  // EventEmitter and one process.
  const modules = new Map();
  const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const own = {
    crypto: () => makeCrypto(),
    os: makeOS,
    process: () => processObj,
    timers: () => ({ setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval,
      clearInterval: g.clearInterval, setImmediate: g.setImmediate, clearImmediate: g.clearImmediate }),
    http: () => makeHTTP(false),
    https: () => makeHTTP(true),
    net: makeNet,
    tls: makeTLS,
    zlib: makeZlib,
    fs: makeFS,
  };
  function require(name) {
    if (typeof name !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string. Received ' + typeof name);
    const id = name.startsWith('node:') ? name.slice(5) : name;
    let m = modules.get(id);
    if (m !== undefined) return m;
    if (hasOwn(own, id)) m = own[id]();
    else if (host.hasNodelib(id)) m = host.loadNodelib(id, require);
    else {
      const err = new ErrorCtor("Cannot find module '" + name + "'");
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    modules.set(id, m);
    return m;
  }

  // once memoises a factory for the runtime's life.
  function once(make) {
    let made = false, value;
    return function () { if (!made) { value = make(); made = true; } return value; };
  }
  function notSupported(what) {
    const err = new ErrorCtor(what + ' is not available in the sandbox');
    err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
    return err;
  }
  function refuse(what) {
    return function () { throw notSupported(what); };
  }

  // ---- globals ---------------------------------------------------------
  lazy(g, 'Buffer', () => require('buffer').Buffer);
  lazy(g, 'URL', () => require('url').URL);
  lazy(g, 'URLSearchParams', () => require('url').URLSearchParams);
  lazy(g, 'TextEncoder', () => makeText().TextEncoder);
  lazy(g, 'TextDecoder', () => makeText().TextDecoder);
  lazy(g, 'crypto', () => makeCrypto().webcrypto);
  for (const name of ['Event', 'EventTarget', 'CustomEvent', 'AbortController', 'AbortSignal', 'DOMException']) {
    lazy(g, name, () => makeDOM()[name]);
  }
  lazy(g, 'Blob', () => makeBlob().Blob);
  for (const name of ['ReadableStream', 'WritableStream', 'TransformStream', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy']) {
    lazy(g, name, () => require('stream/web')[name]);
  }
  hidden(g, 'atob', function atob(s) { if (arguments.length === 0) throw new TypeErrorCtor('1 argument required'); return host.atob(StringCtor(s)); });
  hidden(g, 'btoa', function btoa(s) { if (arguments.length === 0) throw new TypeErrorCtor('1 argument required'); return host.btoa(StringCtor(s)); });
  if (host.fetch) {
    for (const name of ['fetch', 'Headers', 'Request', 'Response']) lazy(g, name, () => makeFetch()[name]);
  }

  function bufferFrom(data, encoding) {
    const { Buffer } = require('buffer');
    if (typeof data === 'string') return Buffer.from(data, encoding);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeErrorCtor('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
  }
  function concatBytes(chunks) {
    let n = 0;
    for (const c of chunks) n += c.length;
    const out = new Uint8Array(n);
    let pos = 0;
    for (const c of chunks) { out.set(c, pos); pos += c.length; }
    return out;
  }

  // ---- TextEncoder, TextDecoder -----------------------------------------
  const makeText = once(() => {
    const encode = host.encode, decode = host.decode;
    class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(input = '') { return new Uint8Array(encode(StringCtor(input), 'utf8')); }
      encodeInto(src, dest) {
        const bytes = this.encode(src);
        let n = Math.min(bytes.length, dest.length);
        // Never write part of a character.
        while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
        dest.set(bytes.subarray(0, n));
        return { read: decode(bytes.subarray(0, n), 'utf8').length, written: n };
      }
      get [Symbol.toStringTag]() { return 'TextEncoder'; }
    }
    const labels = { 'utf-8': 'utf-8', utf8: 'utf-8', 'unicode-1-1-utf-8': 'utf-8', 'utf-16le': 'utf-16le', 'utf-16': 'utf-16le', latin1: 'windows-1252', 'iso-8859-1': 'windows-1252', 'windows-1252': 'windows-1252', ascii: 'windows-1252', 'us-ascii': 'windows-1252' };
    const codecs = { 'utf-8': 'utf8', 'utf-16le': 'utf16le', 'windows-1252': 'latin1' };
    class TextDecoder {
      constructor(label = 'utf-8', options = {}) {
        const enc = labels[StringCtor(label).trim().toLowerCase()];
        if (enc === undefined) {
          const err = new RangeErrorCtor('The "' + label + '" encoding is not supported');
          err.code = 'ERR_ENCODING_NOT_SUPPORTED';
          throw err;
        }
        this._enc = enc;
        this._fatal = !!(options && options.fatal);
        this._ignoreBOM = !!(options && options.ignoreBOM);
      }
      get encoding() { return this._enc; }
      get fatal() { return this._fatal; }
      get ignoreBOM() { return this._ignoreBOM; }
      decode(input) {
        if (input === undefined) return '';
        let view = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
        if (!this._ignoreBOM && this._enc === 'utf-8' && view.length >= 3 && view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf) view = view.subarray(3);
        if (!this._ignoreBOM && this._enc === 'utf-16le' && view.length >= 2 && view[0] === 0xff && view[1] === 0xfe) view = view.subarray(2);
        const s = decode(view, codecs[this._enc]);
        if (this._fatal && this._enc === 'utf-8' && s.indexOf('\uFFFD') !== -1 && !host.validUTF8(view)) {
          const strict = new TypeErrorCtor('The encoded data was not valid for encoding utf-8');
          strict.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
          throw strict;
        }
        return s;
      }
      get [Symbol.toStringTag]() { return 'TextDecoder'; }
    }
    return { TextEncoder, TextDecoder };
  });

  // ---- crypto ----------------------------------------------------------
  // Every primitive is Go's (natives.go, keys.go); this is Node's API
  // over it.
  const makeCrypto = once(() => {
    const { Buffer } = require('buffer');
    function output(bytes, encoding) {
      const b = Buffer.from(bytes);
      return encoding === undefined || encoding === 'buffer' ? b : b.toString(encoding);
    }
    class Hash {
      constructor(impl) { this._impl = impl; this._done = false; }
      update(data, encoding) {
        if (this._done) throw new ErrorCtor('Digest already called');
        this._impl.update(bufferFrom(data, encoding));
        return this;
      }
      digest(encoding) {
        if (this._done) throw new ErrorCtor('Digest already called');
        this._done = true;
        return output(this._impl.digest(), encoding);
      }
    }
    function createHash(alg) { return new Hash(host.hash(StringCtor(alg))); }
    function createHmac(alg, key) {
      let k;
      if (key instanceof KeyObject) {
        if (key.type !== 'secret') throw new TypeErrorCtor('Invalid key object type ' + key.type + ', expected secret.');
        k = key[HANDLE];
      } else {
        k = typeof key === 'string' ? Buffer.from(key) : bufferFrom(key);
      }
      return new Hash(host.hmac(StringCtor(alg), k));
    }
    function randomBytes(size, cb) {
      const b = Buffer.from(host.randomBytes(size));
      if (typeof cb === 'function') { queueMicrotask(() => cb(null, b)); return undefined; }
      return b;
    }
    function randomInt(min, max, cb) {
      if (max === undefined || typeof max === 'function') { cb = max; max = min; min = 0; }
      const range = max - min;
      if (!(range > 0)) throw new RangeErrorCtor('The value of "max" is out of range. It must be greater than the value of "min"');
      const v = min + host.randomInt(range);
      if (typeof cb === 'function') { queueMicrotask(() => cb(null, v)); return undefined; }
      return v;
    }
    function getRandomValues(arr) {
      if (!ArrayBuffer.isView(arr)) throw new TypeErrorCtor('The data argument must be an integer-type TypedArray');
      host.fillRandom(arr);
      return arr;
    }

    // Keys. A KeyObject holds an opaque Go handle; only the natives read it.
    const HANDLE = Symbol('handle');
    const INFO = Symbol('info');
    const TOKEN = {};
    class KeyObject {
      constructor(token, handle) {
        if (token !== TOKEN) throw new TypeErrorCtor('Illegal constructor');
        hidden(this, HANDLE, handle);
        hidden(this, INFO, host.keyInfo(handle));
      }
      get type() { return this[INFO].type; }
      get asymmetricKeyType() { return this[INFO].asymmetricKeyType; }
      get asymmetricKeyDetails() {
        const i = this[INFO];
        if (i.type === 'secret') return undefined;
        if (i.asymmetricKeyType === 'rsa') return { modulusLength: i.modulusLength, publicExponent: BigInt(i.publicExponent) };
        if (i.asymmetricKeyType === 'ec') return { namedCurve: i.namedCurve };
        return {};
      }
      get symmetricKeySize() { return this[INFO].type === 'secret' ? this[INFO].symmetricKeySize : undefined; }
      export(options) {
        const format = options && options.format;
        if (this.type === 'secret') {
          if (format === 'jwk') return host.keyExport(this[HANDLE], 'jwk', '');
          return Buffer.from(host.keyExport(this[HANDLE], 'buffer', ''));
        }
        if (format === 'jwk') return host.keyExport(this[HANDLE], 'jwk', '');
        if (format !== 'pem' && format !== 'der') throw new TypeErrorCtor('The property \'options.format\' must be one of: \'pem\', \'der\', \'jwk\'. Received ' + format);
        if (options.cipher !== undefined || options.passphrase !== undefined) throw notSupported('Encrypting an exported key');
        const out = host.keyExport(this[HANDLE], format, StringCtor(options.type || ''));
        return format === 'pem' ? out : Buffer.from(out);
      }
      equals(other) {
        if (!(other instanceof KeyObject)) throw new TypeErrorCtor('The "otherKeyObject" argument must be an instance of KeyObject.');
        return host.keyEquals(this[HANDLE], other[HANDLE]);
      }
      get [Symbol.toStringTag]() { return 'KeyObject'; }
    }
    // keyHandle turns what Node accepts as a key (a KeyObject, PEM text,
    // DER bytes, a JWK, or {key, format, type, passphrase, encoding}) into
    // a Go handle of kind 'private', 'public' (a private key or a
    // certificate gives its public key) or 'secret'.
    function keyHandle(key, kind) {
      if (key instanceof KeyObject) return fromKeyObject(key, kind);
      let data = key, format = 'pem', type = '', passphrase;
      if (key !== null && typeof key === 'object' && !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer)) {
        if (key.key instanceof KeyObject) return fromKeyObject(key.key, kind);
        data = key.key;
        format = key.format === undefined ? 'pem' : StringCtor(key.format);
        type = key.type === undefined ? '' : StringCtor(key.type);
        passphrase = key.passphrase;
        if (typeof data === 'string' && format !== 'jwk') data = Buffer.from(data, key.encoding || 'utf8');
      } else if (typeof data === 'string') {
        data = Buffer.from(data, 'utf8');
      }
      if (passphrase !== undefined && passphrase !== null) throw notSupported('A passphrase-protected key');
      if (format === 'jwk') {
        if (data === null || typeof data !== 'object') throw new TypeErrorCtor('The "key.key" property must be of type object.');
      } else if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
        throw new TypeErrorCtor('The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey.');
      }
      return host.keyParse(kind, data, format, type);
    }
    function fromKeyObject(key, kind) {
      if (kind === 'public' && key.type === 'private') return host.keyPublic(key[HANDLE]);
      if (key.type !== kind) throw new TypeErrorCtor('Invalid key object type ' + key.type + ', expected ' + kind + '.');
      return key[HANDLE];
    }
    function createPrivateKey(key) {
      if (key instanceof KeyObject) throw new TypeErrorCtor('The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, or DataView.');
      return new KeyObject(TOKEN, keyHandle(key, 'private'));
    }
    function createPublicKey(key) {
      if (key instanceof KeyObject && key.type === 'secret') throw new TypeErrorCtor('Invalid key object type secret, expected private.');
      return new KeyObject(TOKEN, keyHandle(key, 'public'));
    }
    function createSecretKey(key, encoding) {
      const bytes = typeof key === 'string' ? Buffer.from(key, encoding) : bufferFrom(key);
      return new KeyObject(TOKEN, host.keyParse('secret', bytes, 'raw', ''));
    }
    // signOptions are the padding, salt length and DSA encoding a key
    // argument given as an object may carry.
    function signOptions(key) {
      const o = { padding: 0, saltLength: -2, dsaEncoding: 'der' };
      if (key !== null && typeof key === 'object' && !(key instanceof KeyObject) && !ArrayBuffer.isView(key)) {
        if (key.padding !== undefined) o.padding = key.padding | 0;
        if (key.saltLength !== undefined) o.saltLength = key.saltLength | 0;
        if (key.dsaEncoding !== undefined) o.dsaEncoding = StringCtor(key.dsaEncoding);
      }
      return o;
    }
    function sigBytes(signature, encoding) {
      return typeof signature === 'string' ? Buffer.from(signature, encoding) : bufferFrom(signature);
    }
    class Sign {
      constructor(alg) { this._alg = host.signatureDigest(StringCtor(alg)); this._chunks = []; }
      update(data, encoding) { this._chunks.push(bufferFrom(data, encoding)); return this; }
      sign(key, encoding) {
        const sig = host.sign(this._alg, concatBytes(this._chunks), keyHandle(key, 'private'), signOptions(key));
        return output(sig, encoding);
      }
    }
    class Verify {
      constructor(alg) { this._alg = host.signatureDigest(StringCtor(alg)); this._chunks = []; }
      update(data, encoding) { this._chunks.push(bufferFrom(data, encoding)); return this; }
      verify(key, signature, encoding) {
        return host.verify(this._alg, concatBytes(this._chunks), keyHandle(key, 'public'), sigBytes(signature, encoding), signOptions(key));
      }
    }
    function sign(alg, data, key, cb) {
      const run = () => Buffer.from(host.sign(alg == null ? '' : StringCtor(alg), bufferFrom(data), keyHandle(key, 'private'), signOptions(key)));
      if (typeof cb !== 'function') return run();
      let out, err = null;
      try { out = run(); } catch (e) { err = e; }
      queueMicrotask(() => cb(err, out));
      return undefined;
    }
    function verify(alg, data, key, signature, cb) {
      const run = () => host.verify(alg == null ? '' : StringCtor(alg), bufferFrom(data), keyHandle(key, 'public'), sigBytes(signature), signOptions(key));
      if (typeof cb !== 'function') return run();
      let out, err = null;
      try { out = run(); } catch (e) { err = e; }
      queueMicrotask(() => cb(err, out));
      return undefined;
    }
    const constants = {
      RSA_PKCS1_PADDING: 1, RSA_NO_PADDING: 3, RSA_PKCS1_OAEP_PADDING: 4, RSA_PKCS1_PSS_PADDING: 6,
      RSA_PSS_SALTLEN_DIGEST: -1, RSA_PSS_SALTLEN_MAX_SIGN: -2, RSA_PSS_SALTLEN_AUTO: -2,
    };
    const subtle = {
      digest(alg, data) {
        return new Promise((resolve) => {
          const name = typeof alg === 'string' ? alg : alg && alg.name;
          const impl = host.hash(StringCtor(name));
          impl.update(bufferFrom(data));
          resolve(impl.digest());
        });
      },
    };
    const webcrypto = { getRandomValues, randomUUID: () => host.randomUUID(), subtle };
    return {
      createHash, createHmac, randomBytes, randomInt, getRandomValues,
      randomUUID: () => host.randomUUID(),
      timingSafeEqual: (a, b) => host.timingSafeEqual(a, b),
      getHashes: () => host.hashes(),
      KeyObject, createPrivateKey, createPublicKey, createSecretKey,
      createSign: (alg) => new Sign(alg), createVerify: (alg) => new Verify(alg), Sign, Verify, sign, verify,
      constants, webcrypto, subtle,
      pseudoRandomBytes: randomBytes,
    };
  });

  // ---- Event, EventTarget, AbortController, DOMException ----------------
  const makeDOM = once(() => {
    const codes = { IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
      NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
      InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18,
      NetworkError: 19, AbortError: 20, URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23,
      InvalidNodeTypeError: 24, DataCloneError: 25 };
    class DOMException extends ErrorCtor {
      constructor(message = '', options) {
        super(message === undefined ? '' : StringCtor(message));
        let name = 'Error';
        if (options !== null && typeof options === 'object') {
          if (options.name !== undefined) name = StringCtor(options.name);
          if ('cause' in options) hidden(this, 'cause', options.cause);
        } else if (options !== undefined) {
          name = StringCtor(options);
        }
        hidden(this, 'name', name);
        hidden(this, 'code', codes[name] || 0);
      }
      get [Symbol.toStringTag]() { return 'DOMException'; }
    }
    for (const name of ObjectKeys(codes)) {
      const constName = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/_ERROR$/, '_ERR');
      defineProperty(DOMException, constName, { value: codes[name], enumerable: true });
    }

    const S = Symbol('event');
    class Event {
      constructor(type, init) {
        if (arguments.length === 0) throw new TypeErrorCtor('The "type" argument must be specified');
        hidden(this, S, {
          type: StringCtor(type), bubbles: !!(init && init.bubbles), cancelable: !!(init && init.cancelable),
          composed: !!(init && init.composed), defaultPrevented: false, timeStamp: Date.now() - started,
          target: null, currentTarget: null, phase: 0, stop: false, passive: false, dispatching: false,
        });
      }
      get type() { return this[S].type; }
      get bubbles() { return this[S].bubbles; }
      get cancelable() { return this[S].cancelable; }
      get composed() { return this[S].composed; }
      get defaultPrevented() { return this[S].cancelable && this[S].defaultPrevented; }
      get returnValue() { return !this.defaultPrevented; }
      get target() { return this[S].target; }
      get currentTarget() { return this[S].currentTarget; }
      get srcElement() { return this[S].target; }
      get eventPhase() { return this[S].phase; }
      get timeStamp() { return this[S].timeStamp; }
      get isTrusted() { return false; }
      get cancelBubble() { return this[S].stop; }
      preventDefault() { if (!this[S].passive) this[S].defaultPrevented = true; }
      stopPropagation() {}
      stopImmediatePropagation() { this[S].stop = true; }
      composedPath() { return this[S].dispatching ? [this[S].currentTarget] : []; }
      get [Symbol.toStringTag]() { return 'Event'; }
    }
    Object.assign(Event, { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 });
    const DETAIL = Symbol('detail');
    class CustomEvent extends Event {
      constructor(type, init) {
        super(type, init);
        hidden(this, DETAIL, init && init.detail !== undefined ? init.detail : null);
      }
      get detail() { return this[DETAIL]; }
      get [Symbol.toStringTag]() { return 'CustomEvent'; }
    }

    // A listener that throws is reported as Node reports it: as an
    // uncaught error, here the execution's.
    function report(err) { PromiseResolve().then(() => { throw err; }); }
    const L = Symbol('listeners');
    function listenersOf(target) {
      if (!hasOwn(target, L)) hidden(target, L, new Map());
      return target[L];
    }
    class EventTarget {
      constructor() { hidden(this, L, new Map()); }
      addEventListener(type, listener, options) {
        if (listener == null) return;
        type = StringCtor(type);
        const capture = typeof options === 'boolean' ? options : !!(options && options.capture);
        const once = !!(options && typeof options === 'object' && options.once);
        const passive = !!(options && typeof options === 'object' && options.passive);
        const signal = options && typeof options === 'object' ? options.signal : undefined;
        if (signal && signal.aborted) return;
        const all = listenersOf(this);
        let list = all.get(type);
        if (!list) { list = []; all.set(type, list); }
        if (list.some((r) => r.listener === listener && r.capture === capture)) return;
        list.push({ listener, once, capture, passive, removed: false });
        if (signal) signal.addEventListener('abort', () => this.removeEventListener(type, listener, { capture }), { once: true });
      }
      removeEventListener(type, listener, options) {
        const capture = typeof options === 'boolean' ? options : !!(options && options.capture);
        const list = listenersOf(this).get(StringCtor(type));
        if (!list) return;
        const i = list.findIndex((r) => r.listener === listener && r.capture === capture);
        if (i !== -1) { list[i].removed = true; list.splice(i, 1); }
      }
      dispatchEvent(event) {
        if (!(event instanceof Event)) throw new TypeErrorCtor('The "event" argument must be an instance of Event. Received ' + typeof event);
        const s = event[S];
        if (s.dispatching) throw new DOMException('The event is already being dispatched', 'InvalidStateError');
        s.dispatching = true;
        s.target = this;
        s.currentTarget = this;
        s.phase = 2;
        const list = listenersOf(this).get(s.type);
        if (list) {
          for (const r of list.slice()) {
            if (r.removed) continue;
            if (r.once) this.removeEventListener(s.type, r.listener, { capture: r.capture });
            s.passive = r.passive;
            try {
              const l = r.listener;
              if (typeof l === 'function') l.call(this, event);
              else if (l && typeof l.handleEvent === 'function') l.handleEvent(event);
            } catch (err) {
              report(err);
            }
            s.passive = false;
            if (s.stop) break;
          }
        }
        s.currentTarget = null;
        s.phase = 0;
        s.dispatching = false;
        return !event.defaultPrevented;
      }
      get [Symbol.toStringTag]() { return 'EventTarget'; }
    }

    const SIG = Symbol('signal');
    const TOKEN = {};
    class AbortSignal extends EventTarget {
      constructor(token) {
        if (token !== TOKEN) throw new TypeErrorCtor('Illegal constructor');
        super();
        hidden(this, SIG, { aborted: false, reason: undefined, onabort: null });
      }
      get aborted() { return this[SIG].aborted; }
      get reason() { return this[SIG].reason; }
      get onabort() { return this[SIG].onabort; }
      set onabort(fn) { this[SIG].onabort = typeof fn === 'function' ? fn : null; }
      throwIfAborted() { if (this[SIG].aborted) throw this[SIG].reason; }
      static abort(reason) {
        const s = new AbortSignal(TOKEN);
        abort(s, reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
        return s;
      }
      // The timer does not keep the execution alive, as in Node.
      static timeout(ms) {
        const s = new AbortSignal(TOKEN);
        g.setTimeout(() => abort(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
        return s;
      }
      static any(signals) {
        const s = new AbortSignal(TOKEN);
        for (const x of signals) {
          if (x.aborted) { abort(s, x.reason); return s; }
        }
        for (const x of signals) x.addEventListener('abort', () => abort(s, x.reason), { once: true });
        return s;
      }
      get [Symbol.toStringTag]() { return 'AbortSignal'; }
    }
    function abort(signal, reason) {
      const st = signal[SIG];
      if (st.aborted) return;
      st.aborted = true;
      st.reason = reason;
      const ev = new Event('abort');
      if (st.onabort) {
        try { st.onabort.call(signal, ev); } catch (err) { report(err); }
      }
      signal.dispatchEvent(ev);
    }
    class AbortController {
      constructor() { hidden(this, SIG, new AbortSignal(TOKEN)); }
      get signal() { return this[SIG]; }
      abort(reason) { abort(this[SIG], reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason); }
      get [Symbol.toStringTag]() { return 'AbortController'; }
    }
    return { Event, EventTarget, CustomEvent, AbortController, AbortSignal, DOMException };
  });

  // ---- Blob ------------------------------------------------------------
  const makeBlob = once(() => {
    const BYTES = Symbol('bytes');
    const TYPE = Symbol('type');
    class Blob {
      constructor(parts = [], options) {
        const chunks = [];
        for (const p of parts) {
          if (p instanceof Blob) chunks.push(p[BYTES]);
          else if (p instanceof ArrayBuffer) chunks.push(new Uint8Array(p.slice(0)));
          else if (ArrayBuffer.isView(p)) chunks.push(new Uint8Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength)));
          else chunks.push(new Uint8Array(host.encode(StringCtor(p), 'utf8')));
        }
        hidden(this, BYTES, concatBytes(chunks));
        const type = options && options.type !== undefined ? StringCtor(options.type) : '';
        hidden(this, TYPE, /^[\x20-\x7e]*$/.test(type) ? type.toLowerCase() : '');
      }
      get size() { return this[BYTES].length; }
      get type() { return this[TYPE]; }
      slice(start = 0, end = this.size, type = '') {
        const b = new Blob([], { type });
        hidden(b, BYTES, this[BYTES].slice(start, end));
        return b;
      }
      arrayBuffer() { const b = this[BYTES]; return PromiseResolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); }
      bytes() { return PromiseResolve(this[BYTES].slice()); }
      text() { return PromiseResolve(host.decode(this[BYTES], 'utf8')); }
      stream() { throw notSupported('Blob.prototype.stream'); }
      get [Symbol.toStringTag]() { return 'Blob'; }
    }
    return { Blob, bytesOf: (b) => b[BYTES] };
  });

  // ---- fetch -----------------------------------------------------------
  // The WHATWG fetch API over host.fetch, which sends through the guarded
  // HTTP client. Bodies are read whole (text, json, arrayBuffer, bytes,
  // blob); Response.body is null, as there are no web streams.
  const makeFetch = once(() => {
    const H = Symbol('headers');
    const B = Symbol('body');
    const R = Symbol('state');
    const tokenRE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
    function headerName(name) {
      name = StringCtor(name);
      if (!tokenRE.test(name)) throw new TypeErrorCtor('Headers.append: "' + name + '" is an invalid header name.');
      return name.toLowerCase();
    }
    function headerValue(v) {
      v = StringCtor(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
      if (/[\0\r\n]/.test(v)) throw new TypeErrorCtor('Headers.append: "' + v + '" is an invalid header value.');
      return v;
    }
    class Headers {
      constructor(init) {
        hidden(this, H, new Map());
        if (init == null) return;
        if (init instanceof Headers) {
          for (const [k, vs] of init[H]) this[H].set(k, vs.slice());
          return;
        }
        if (typeof init !== 'object' && typeof init !== 'function') throw new TypeErrorCtor("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'");
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const p = ArrayIsArray(pair) ? pair : Array.from(pair);
            if (p.length !== 2) throw new TypeErrorCtor('Header pair must contain exactly two items');
            this.append(p[0], p[1]);
          }
        } else {
          for (const k of ObjectKeys(init)) this.append(k, init[k]);
        }
      }
      append(k, v) {
        k = headerName(k); v = headerValue(v);
        const vs = this[H].get(k);
        if (vs) vs.push(v); else this[H].set(k, [v]);
      }
      set(k, v) { this[H].set(headerName(k), [headerValue(v)]); }
      get(k) { const vs = this[H].get(headerName(k)); return vs === undefined ? null : vs.join(', '); }
      getSetCookie() { return (this[H].get('set-cookie') || []).slice(); }
      has(k) { return this[H].has(headerName(k)); }
      delete(k) { this[H].delete(headerName(k)); }
      forEach(fn, thisArg) { for (const [k, v] of pairsOf(this)) fn.call(thisArg, v, k, this); }
      entries() { return pairsOf(this)[Symbol.iterator](); }
      keys() { return pairsOf(this).map((p) => p[0])[Symbol.iterator](); }
      values() { return pairsOf(this).map((p) => p[1])[Symbol.iterator](); }
      [Symbol.iterator]() { return this.entries(); }
      get [Symbol.toStringTag]() { return 'Headers'; }
    }
    // pairsOf is what iterating headers gives: sorted by name, each
    // Set-Cookie on its own, as the standard says.
    function pairsOf(headers) {
      const out = [];
      for (const k of Array.from(headers[H].keys()).sort()) {
        const vs = headers[H].get(k);
        if (k === 'set-cookie') for (const v of vs) out.push([k, v]);
        else out.push([k, vs.join(', ')]);
      }
      return out;
    }
    // wirePairs are the header lines sent: one per name, values joined,
    // as fetch sends them (Set-Cookie, which cannot be joined, one each).
    function wirePairs(headers) {
      const out = [];
      for (const [k, vs] of headers[H]) {
        if (k === 'set-cookie') for (const v of vs) out.push([k, v]);
        else out.push([k, vs.join(', ')]);
      }
      return out;
    }

    // extractBody is the bytes and default Content-Type of a body init.
    function extractBody(body) {
      if (body == null) return { bytes: null, type: null };
      if (typeof body === 'string') return { bytes: new Uint8Array(host.encode(body, 'utf8')), type: 'text/plain;charset=UTF-8' };
      if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body.slice(0)), type: null };
      if (ArrayBuffer.isView(body)) return { bytes: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), type: null };
      const tag = Object.prototype.toString.call(body);
      if (tag === '[object URLSearchParams]') return { bytes: new Uint8Array(host.encode(body.toString(), 'utf8')), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
      const blob = makeBlob();
      if (body instanceof blob.Blob) return { bytes: blob.bytesOf(body), type: body.type || null };
      if (tag === '[object FormData]' || tag === '[object ReadableStream]' || tag === '[object Blob]' || typeof body[Symbol.iterator] === 'function' || typeof body[Symbol.asyncIterator] === 'function') {
        throw notSupported('A ' + tag.slice(8, -1) + ' request body');
      }
      return { bytes: new Uint8Array(host.encode(StringCtor(body), 'utf8')), type: 'text/plain;charset=UTF-8' };
    }
    function consume(self) {
      const b = self[B];
      if (b.used) return Promise.reject(new TypeErrorCtor('Body is unusable: Body has already been read'));
      b.used = true;
      return PromiseResolve(b.bytes === null ? new Uint8Array(0) : b.bytes);
    }
    const bodyMixin = {
      get body() { return null; },
      get bodyUsed() { return this[B].used; },
      text() { return consume(this).then((b) => host.decode(b, 'utf8')); },
      json() { return this.text().then((t) => JSON.parse(t)); },
      arrayBuffer() { return consume(this).then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); },
      bytes() { return consume(this).then((b) => b.slice()); },
      blob() { return consume(this).then((b) => new (makeBlob().Blob)([b], { type: this.headers.get('content-type') || '' })); },
      formData() { return Promise.reject(notSupported('Body.formData')); },
    };
    function mixBody(proto) {
      for (const k of Object.getOwnPropertyNames(bodyMixin)) {
        const d = Object.getOwnPropertyDescriptor(bodyMixin, k);
        d.enumerable = false;
        defineProperty(proto, k, d);
      }
    }

    const methods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
    class Request {
      constructor(input, init) {
        if (arguments.length === 0) throw new TypeErrorCtor("Failed to construct 'Request': 1 argument required, but only 0 present.");
        init = init == null ? {} : init;
        const base = input instanceof Request ? input[R] : null;
        const url = base ? base.url : host.fetchURL(typeof input === 'object' && input !== null && typeof input.href === 'string' ? input.href : StringCtor(input));
        let method = base ? base.method : 'GET';
        if (init.method !== undefined) {
          method = StringCtor(init.method);
          if (!tokenRE.test(method)) throw new TypeErrorCtor("'" + method + "' is not a valid HTTP method.");
          if (methods.indexOf(method.toUpperCase()) !== -1) method = method.toUpperCase();
          if (method === 'CONNECT' || method === 'TRACE' || method === 'TRACK') throw new TypeErrorCtor("'" + method + "' HTTP method is unsupported.");
        }
        const headers = new Headers(init.headers !== undefined ? init.headers : base ? base.headers : undefined);
        let body = base ? { bytes: input[B].bytes, type: null } : { bytes: null, type: null };
        if (init.body !== undefined) body = extractBody(init.body);
        if ((method === 'GET' || method === 'HEAD') && body.bytes !== null) throw new TypeErrorCtor('Request with GET/HEAD method cannot have body.');
        if (body.type !== null && !headers.has('content-type')) headers.set('content-type', body.type);
        const redirect = init.redirect !== undefined ? StringCtor(init.redirect) : base ? base.redirect : 'follow';
        if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw new TypeErrorCtor("Failed to construct 'Request': The provided value '" + redirect + "' is not a valid enum value of type RequestRedirect.");
        const pick = (k, d) => (init[k] !== undefined ? StringCtor(init[k]) : base ? base[k] : d);
        hidden(this, R, {
          url, method, headers, redirect,
          signal: init.signal !== undefined ? init.signal : base ? base.signal : null,
          cache: pick('cache', 'default'), credentials: pick('credentials', 'same-origin'), mode: pick('mode', 'cors'),
          referrer: pick('referrer', 'about:client'), referrerPolicy: pick('referrerPolicy', ''), integrity: pick('integrity', ''),
          keepalive: init.keepalive !== undefined ? !!init.keepalive : base ? base.keepalive : false, duplex: 'half',
        });
        hidden(this, B, { bytes: body.bytes, used: false });
      }
      get url() { return this[R].url; }
      get method() { return this[R].method; }
      get headers() { return this[R].headers; }
      get redirect() { return this[R].redirect; }
      get signal() {
        const st = this[R];
        if (!st.signal) st.signal = new g.AbortController().signal;
        return st.signal;
      }
      get cache() { return this[R].cache; }
      get credentials() { return this[R].credentials; }
      get mode() { return this[R].mode; }
      get referrer() { return this[R].referrer; }
      get referrerPolicy() { return this[R].referrerPolicy; }
      get integrity() { return this[R].integrity; }
      get keepalive() { return this[R].keepalive; }
      get destination() { return ''; }
      get duplex() { return this[R].duplex; }
      clone() {
        if (this[B].used) throw new TypeErrorCtor('Request.clone: Body has already been consumed.');
        return new Request(this);
      }
      get [Symbol.toStringTag]() { return 'Request'; }
    }
    mixBody(Request.prototype);

    const NETWORK = {};
    class Response {
      constructor(body = null, init) {
        init = init == null ? {} : init;
        if (body === NETWORK) {
          // A response from host.fetch: init is what the host returned.
          hidden(this, R, { status: init.status, statusText: init.statusText, headers: new Headers(init.headers),
            url: init.url, redirected: init.redirected, type: 'basic' });
          hidden(this, B, { bytes: new Uint8Array(init.body), used: false });
          return;
        }
        const status = init.status === undefined ? 200 : Number(init.status);
        if (!(status >= 200 && status <= 599) || Math.floor(status) !== status) throw new RangeErrorCtor('init["status"] must be in the range of 200 to 599, inclusive.');
        const extracted = extractBody(body);
        if (extracted.bytes !== null && (status === 101 || status === 204 || status === 205 || status === 304)) throw new TypeErrorCtor('Response constructor: Invalid response status code ' + status);
        const headers = new Headers(init.headers);
        if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
        hidden(this, R, { status, statusText: init.statusText === undefined ? '' : StringCtor(init.statusText), headers, url: '', redirected: false, type: 'default' });
        hidden(this, B, { bytes: extracted.bytes, used: false });
      }
      get status() { return this[R].status; }
      get ok() { return this[R].status >= 200 && this[R].status < 300; }
      get statusText() { return this[R].statusText; }
      get headers() { return this[R].headers; }
      get url() { return this[R].url; }
      get redirected() { return this[R].redirected; }
      get type() { return this[R].type; }
      clone() {
        if (this[B].used) throw new TypeErrorCtor('Response.clone: Body has already been consumed.');
        const r = new Response(null, { status: 200 });
        r[R] = Object.assign({}, this[R], { headers: new Headers(this[R].headers) });
        r[B] = { bytes: this[B].bytes, used: false };
        return r;
      }
      static error() {
        const r = new Response(null, { status: 200 });
        Object.assign(r[R], { status: 0, type: 'error' });
        return r;
      }
      static json(data, init) {
        const text = JSON.stringify(data);
        if (text === undefined) throw new TypeErrorCtor('Value is not JSON serializable');
        const headers = new Headers(init && init.headers);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
        return new Response(text, Object.assign({}, init, { headers }));
      }
      static redirect(url, status = 302) {
        if ([301, 302, 303, 307, 308].indexOf(status) === -1) throw new RangeErrorCtor('Invalid status code ' + status);
        return new Response(null, { status, headers: { location: host.fetchURL(StringCtor(url)) } });
      }
      get [Symbol.toStringTag]() { return 'Response'; }
    }
    mixBody(Response.prototype);

    function fetch(input, init) {
      return new Promise((resolve, reject) => {
        let req;
        try { req = new Request(input, init); } catch (e) { reject(e); return; }
        const st = req[R];
        const signal = st.signal;
        if (signal && signal.aborted) { reject(signal.reason); return; }
        let done = false;
        let onAbort;
        const cancel = host.fetch(st.url, st.method, wirePairs(st.headers), req[B].bytes, st.redirect, false, (err, res) => {
          if (done) return;
          done = true;
          if (signal) signal.removeEventListener('abort', onAbort);
          if (err) {
            const e = new TypeErrorCtor('fetch failed');
            e.cause = new ErrorCtor(err);
            reject(e);
            return;
          }
          resolve(new Response(NETWORK, res));
        });
        if (signal) {
          onAbort = () => {
            if (done) return;
            done = true;
            cancel();
            reject(signal.reason);
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }
      });
    }
    return { fetch, Headers, Request, Response };
  });

  // ---- http, https -----------------------------------------------------
  // Client requests as Node's http.request makes them, sent whole through
  // host.fetch (the guarded client) when the request ends, redirects not
  // followed; the response body arrives whole. Agents are accepted and
  // ignored: connections are the guarded client's. No server.
  const STATUS_CODES = {
    100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
    200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
    205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
    300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
    305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
    400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
    409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
    414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
    418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked', 424: 'Failed Dependency',
    425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests',
    431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
    500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates', 507: 'Insufficient Storage',
    508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended', 511: 'Network Authentication Required',
  };
  const METHODS = ['ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH', 'MERGE',
    'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE',
    'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE'];
  // Node keeps the first of these when a response repeats them, and joins
  // the others with ', ' (Set-Cookie is always an array).
  const singleHeaders = ['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
    'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization',
    'referer', 'retry-after', 'server', 'user-agent'];

  const makeHTTPCore = once(() => {
    const { Writable, Readable } = require('stream');
    const EventEmitter = require('events');
    const { Buffer } = require('buffer');

    function Agent(options) {
      if (!(this instanceof Agent)) return new Agent(options);
      EventEmitter.call(this);
      this.options = Object.assign({ path: null }, options);
      this.defaultPort = 80;
      this.protocol = 'http:';
      this.keepAlive = !!this.options.keepAlive;
      this.keepAliveMsecs = this.options.keepAliveMsecs || 1000;
      this.maxSockets = this.options.maxSockets || Agent.defaultMaxSockets;
      this.maxFreeSockets = this.options.maxFreeSockets || 256;
      this.maxTotalSockets = this.options.maxTotalSockets || Infinity;
      this.requests = Object.create(null);
      this.sockets = Object.create(null);
      this.freeSockets = Object.create(null);
    }
    Object.setPrototypeOf(Agent.prototype, EventEmitter.prototype);
    Object.setPrototypeOf(Agent, EventEmitter);
    Agent.defaultMaxSockets = Infinity;
    Agent.prototype.destroy = function destroy() {};
    Agent.prototype.getName = function getName(options = {}) {
      return (options.host || 'localhost') + ':' + (options.port || '') + ':' + (options.localAddress || '');
    };
    Agent.prototype.createConnection = refuse('http.Agent.prototype.createConnection');

    function HttpsAgent(options) {
      if (!(this instanceof HttpsAgent)) return new HttpsAgent(options);
      Agent.call(this, options);
      this.defaultPort = 443;
      this.protocol = 'https:';
    }
    Object.setPrototypeOf(HttpsAgent.prototype, Agent.prototype);
    Object.setPrototypeOf(HttpsAgent, Agent);

    // fakeSocket stands for the connection: some clients read its
    // properties or listen to it, and it never emits anything.
    function fakeSocket(secure) {
      const s = new EventEmitter();
      Object.assign(s, {
        connecting: false, encrypted: secure, authorized: secure, authorizationError: null, readable: true, writable: true,
        remoteAddress: undefined, remotePort: undefined, localAddress: undefined, localPort: undefined, bytesWritten: 0, bytesRead: 0,
        setTimeout() { return s; }, setNoDelay() { return s; }, setKeepAlive() { return s; },
        ref() { return s; }, unref() { return s; }, destroy() { return s; }, end() { return s; }, address() { return {}; },
      });
      return s;
    }

    const BODY = Symbol('body');
    class IncomingMessage extends Readable {
      constructor(res, req, secure) {
        super();
        this.statusCode = res.status;
        this.statusMessage = res.statusText;
        this.httpVersion = '1.1';
        this.httpVersionMajor = 1;
        this.httpVersionMinor = 1;
        this.headers = {};
        this.rawHeaders = [];
        this.trailers = {};
        this.rawTrailers = [];
        this.url = '';
        this.method = null;
        this.complete = false;
        this.aborted = false;
        this.req = req;
        this.socket = this.connection = req ? req.socket : fakeSocket(secure);
        for (const [name, value] of res.headers) {
          this.rawHeaders.push(name, value);
          const k = name.toLowerCase();
          if (k === 'set-cookie') (this.headers[k] || (this.headers[k] = [])).push(value);
          else if (!hasOwn(this.headers, k)) this.headers[k] = value;
          else if (singleHeaders.indexOf(k) === -1) this.headers[k] += ', ' + value;
        }
        hidden(this, BODY, Buffer.from(res.body));
      }
      _read() {
        const b = this[BODY];
        if (b === null) return;
        this[BODY] = null;
        if (b.length) this.push(b);
        this.complete = true;
        this.push(null);
      }
      setTimeout(ms, cb) { if (cb) this.once('timeout', cb); return this; }
      // As Node's: a response cut short says 'aborted', and is an error
      // only to whoever listens for one.
      _destroy(err, cb) {
        if (!this.complete) {
          this.aborted = true;
          this.emit('aborted');
        }
        cb(this.listenerCount('error') > 0 ? err : null);
      }
    }

    const ST = Symbol('request');
    class ClientRequest extends Writable {
      constructor(protocol, url, options, cb) {
        // The request is sent when end() is called; 'close' follows the
        // response's end, as in Node.
        super({ autoDestroy: false });
        const secure = protocol === 'https:';
        this.method = options.method;
        this.path = options.path;
        this.host = options.hostname;
        this.protocol = protocol;
        this.agent = options.agent;
        this.aborted = false;
        this.reusedSocket = false;
        this.maxHeadersCount = null;
        this.headersSent = false;
        this.finished = false;
        this.res = null;
        this.socket = this.connection = fakeSocket(secure);
        hidden(this, ST, { url, secure, headers: new Map(), chunks: [], cancel: null, timer: null });
        const h = options.headers;
        if (ArrayIsArray(h)) {
          for (let i = 0; i + 1 < h.length; i += 2) this.appendHeader(h[i], h[i + 1]);
        } else if (h) {
          for (const k of ObjectKeys(h)) if (h[k] !== undefined) this.setHeader(k, h[k]);
        }
        if (options.auth && !this.hasHeader('authorization')) this.setHeader('Authorization', 'Basic ' + Buffer.from(StringCtor(options.auth)).toString('base64'));
        if (typeof cb === 'function') this.once('response', cb);
        if (options.timeout !== undefined) this.setTimeout(options.timeout);
        const signal = options.signal;
        if (signal) {
          const onAbort = () => this.destroy(abortError(signal.reason));
          if (signal.aborted) processObj.nextTick(onAbort);
          else {
            signal.addEventListener('abort', onAbort, { once: true });
            this.once('close', () => signal.removeEventListener('abort', onAbort));
          }
        }
        processObj.nextTick(() => { if (!this.destroyed) this.emit('socket', this.socket); });
      }
      setHeader(name, value) {
        if (this.headersSent) throw httpError('ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
        validateHeaderName(name);
        validateHeaderValue(name, value);
        this[ST].headers.set(StringCtor(name).toLowerCase(), [StringCtor(name), value]);
        return this;
      }
      appendHeader(name, value) {
        const k = StringCtor(name).toLowerCase();
        const cur = this[ST].headers.get(k);
        if (!cur) return this.setHeader(name, value);
        cur[1] = [].concat(cur[1], value);
        return this;
      }
      getHeader(name) { const e = this[ST].headers.get(StringCtor(name).toLowerCase()); return e ? e[1] : undefined; }
      getHeaders() { const out = Object.create(null); for (const [k, e] of this[ST].headers) out[k] = e[1]; return out; }
      getHeaderNames() { return Array.from(this[ST].headers.keys()); }
      getRawHeaderNames() { return Array.from(this[ST].headers.values(), (e) => e[0]); }
      hasHeader(name) { return this[ST].headers.has(StringCtor(name).toLowerCase()); }
      removeHeader(name) {
        if (this.headersSent) throw httpError('ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client');
        this[ST].headers.delete(StringCtor(name).toLowerCase());
      }
      flushHeaders() {}
      setNoDelay() {}
      setSocketKeepAlive() {}
      setTimeout(ms, cb) {
        const st = this[ST];
        if (cb) this.once('timeout', cb);
        if (st.timer !== null) { g.clearTimeout(st.timer); st.timer = null; }
        ms = Number(ms);
        if (ms > 0 && !this.res) {
          st.timer = g.setTimeout(() => { st.timer = null; this.emit('timeout'); }, ms);
        }
        return this;
      }
      abort() {
        if (this.aborted) return;
        this.aborted = true;
        processObj.nextTick(() => this.emit('abort'));
        this.destroy();
      }
      _write(chunk, encoding, cb) {
        this[ST].chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
        cb();
      }
      _final(cb) {
        this.finished = true;
        this._send();
        cb();
      }
      _destroy(err, cb) {
        const st = this[ST];
        if (st.cancel) { st.cancel(); st.cancel = null; }
        if (st.timer !== null) { g.clearTimeout(st.timer); st.timer = null; }
        if (this.res && !this.res.complete) {
          const aborted = httpError('ECONNRESET', 'aborted');
          this.res.destroy(err || aborted);
        }
        else if (!this.res && !err && !this.aborted) err = connReset();
        cb(err);
      }
      _send() {
        const st = this[ST];
        this.headersSent = true;
        const headers = [];
        for (const [, [name, value]] of st.headers) {
          if (ArrayIsArray(value)) for (const v of value) headers.push([name, StringCtor(v)]);
          else headers.push([name, StringCtor(value)]);
        }
        const body = st.chunks.length ? Buffer.concat(st.chunks) : null;
        st.chunks = [];
        try {
          st.cancel = host.fetch(st.url, this.method, headers, body, 'manual', true, (err, res) => {
            st.cancel = null;
            if (this.destroyed) return;
            if (err) { this.destroy(networkError(err)); return; }
            if (st.timer !== null) { g.clearTimeout(st.timer); st.timer = null; }
            const msg = new IncomingMessage(res, this, st.secure);
            this.res = msg;
            msg.once('end', () => processObj.nextTick(() => { if (!this.destroyed) this.destroy(); }));
            if (!this.emit('response', msg)) msg.resume();
          });
        } catch (e) {
          processObj.nextTick(() => this.destroy(e));
        }
      }
    }
    function httpError(code, message) {
      const e = new ErrorCtor(message);
      e.code = code;
      return e;
    }
    function connReset() {
      const e = httpError('ECONNRESET', 'socket hang up');
      return e;
    }
    function abortError(reason) {
      const e = httpError('ABORT_ERR', 'The operation was aborted');
      e.name = 'AbortError';
      e.cause = reason;
      return e;
    }
    // networkError gives a failed request Node's shape: message, code and
    // syscall of the first cause the host names.
    function networkError(msg) {
      const codes = [['connection refused', 'ECONNREFUSED'], ['no such host', 'ENOTFOUND'], ['timeout', 'ETIMEDOUT'],
        ['deadline exceeded', 'ETIMEDOUT'], ['connection reset', 'ECONNRESET'], ['refused', 'EHOSTUNREACH']];
      const e = new ErrorCtor(msg);
      for (const [needle, code] of codes) {
        if (msg.indexOf(needle) !== -1) { e.code = code; break; }
      }
      if (!e.code) e.code = 'ECONNRESET';
      e.syscall = 'connect';
      return e;
    }
    const headerNameRE = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
    function validateHeaderName(name) {
      if (typeof name !== 'string' || !name || !headerNameRE.test(name)) {
        const e = new TypeErrorCtor('Header name must be a valid HTTP token ["' + name + '"]');
        e.code = 'ERR_INVALID_HTTP_TOKEN';
        throw e;
      }
    }
    function validateHeaderValue(name, value) {
      if (value === undefined) {
        const e = new TypeErrorCtor('Invalid value "undefined" for header "' + name + '"');
        e.code = 'ERR_HTTP_INVALID_HEADER_VALUE';
        throw e;
      }
      if (/[^\t\x20-\x7e\x80-\xff]/.test(StringCtor(value))) {
        const e = new TypeErrorCtor('Invalid character in header content ["' + name + '"]');
        e.code = 'ERR_INVALID_CHAR';
        throw e;
      }
    }

    // requestArgs normalises (url, options, cb), (url, cb), (options, cb)
    // into the URL to send to and Node's request options.
    function request(protocol, agent, args) {
      let input = args[0], options = {}, cb;
      if (typeof args[1] === 'function') cb = args[1];
      else { if (args[1] !== undefined) options = args[1]; cb = args[2]; }
      let merged;
      if (typeof input === 'string' || (input && typeof input === 'object' && typeof input.href === 'string' && typeof input.searchParams === 'object')) {
        const u = host.parseHTTPURL(typeof input === 'string' ? input : input.href);
        merged = Object.assign({ protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.path, auth: u.auth || undefined }, options);
      } else {
        if (typeof input === 'function') { cb = input; input = {}; }
        merged = Object.assign({}, input || {}, typeof args[1] === 'object' && args[1] ? args[1] : {});
      }
      const proto = merged.protocol || (merged.agent && merged.agent.protocol) || protocol;
      if (proto !== protocol) {
        const e = new TypeErrorCtor('Protocol "' + proto + '" not supported. Expected "' + protocol + '"');
        e.code = 'ERR_INVALID_PROTOCOL';
        throw e;
      }
      if (merged.socketPath) throw notSupported('http.request over a socketPath');
      if (typeof merged.createConnection === 'function') throw notSupported('http.request with createConnection');
      let hostname = merged.hostname || (merged.host ? StringCtor(merged.host).replace(/:\d+$/, '') : 'localhost');
      if (hostname.indexOf(':') !== -1 && hostname[0] !== '[') hostname = '[' + hostname + ']';
      const defaultPort = protocol === 'https:' ? 443 : 80;
      const port = merged.port ? Number(merged.port) : (merged.defaultPort || defaultPort);
      const path = merged.path === undefined || merged.path === null ? '/' : StringCtor(merged.path);
      if (/[\u0000-\u0020\u007f-\uffff]/.test(path)) {
        const e = new TypeErrorCtor('Request path contains unescaped characters');
        e.code = 'ERR_UNESCAPED_CHARACTERS';
        throw e;
      }
      let method = merged.method === undefined ? 'GET' : StringCtor(merged.method).toUpperCase();
      if (!headerNameRE.test(method)) {
        const e = new TypeErrorCtor('Method must be a valid HTTP token ["' + method + '"]');
        e.code = 'ERR_INVALID_HTTP_TOKEN';
        throw e;
      }
      const url = protocol + '//' + hostname + (port === defaultPort ? '' : ':' + port) + (path[0] === '/' ? path : '/' + path);
      const opts = { method, path, hostname, headers: merged.headers, auth: merged.auth, agent: merged.agent === undefined ? agent : merged.agent,
        timeout: merged.timeout, signal: merged.signal };
      return new ClientRequest(protocol, url, opts, cb);
    }
    return { Agent, HttpsAgent, ClientRequest, IncomingMessage, request, validateHeaderName, validateHeaderValue };
  });

  function makeHTTP(secure) {
    const core = makeHTTPCore();
    const protocol = secure ? 'https:' : 'http:';
    const Agent = secure ? core.HttpsAgent : core.Agent;
    const mod = {
      Agent,
      globalAgent: new Agent({ keepAlive: true }),
      ClientRequest: core.ClientRequest,
      IncomingMessage: core.IncomingMessage,
      STATUS_CODES,
      METHODS,
      maxHeaderSize: 16384,
      validateHeaderName: core.validateHeaderName,
      validateHeaderValue: core.validateHeaderValue,
      request(...args) { return core.request(protocol, mod.globalAgent, args); },
      get(...args) { const req = core.request(protocol, mod.globalAgent, args); req.end(); return req; },
      createServer: refuse((secure ? 'https' : 'http') + '.createServer'),
      Server: refuse((secure ? 'https' : 'http') + '.Server'),
    };
    return mod;
  }

  // ---- net, tls, fs: load, but refuse to be used ------------------------
  function makeNet() {
    const isIP = (s) => host.isIP(StringCtor(s));
    return {
      isIP, isIPv4: (s) => isIP(s) === 4, isIPv6: (s) => isIP(s) === 6,
      connect: refuse('net.connect'), createConnection: refuse('net.createConnection'), createServer: refuse('net.createServer'),
      Socket: refuse('net.Socket'), Server: refuse('net.Server'), Stream: refuse('net.Stream'),
    };
  }
  function makeTLS() {
    return {
      connect: refuse('tls.connect'), createSecureContext: refuse('tls.createSecureContext'), createServer: refuse('tls.createServer'),
      TLSSocket: refuse('tls.TLSSocket'), Server: refuse('tls.Server'), checkServerIdentity: refuse('tls.checkServerIdentity'),
      getCiphers: () => [], rootCertificates: [], DEFAULT_MIN_VERSION: 'TLSv1.2', DEFAULT_MAX_VERSION: 'TLSv1.3', DEFAULT_ECDH_CURVE: 'auto',
    };
  }
  function makeFS() {
    const names = ['access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'exists', 'lstat', 'mkdir', 'mkdtemp', 'open',
      'opendir', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs', 'symlink',
      'truncate', 'unlink', 'utimes', 'writeFile', 'close', 'read', 'write', 'fstat', 'fsync'];
    const fs = { constants: { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 }, promises: {} };
    for (const n of names) {
      fs[n] = refuse('fs.' + n);
      fs[n + 'Sync'] = refuse('fs.' + n + 'Sync');
      fs.promises[n] = function () { return Promise.reject(notSupported('fs.promises.' + n)); };
    }
    for (const n of ['createReadStream', 'createWriteStream', 'watch', 'watchFile', 'unwatchFile']) fs[n] = refuse('fs.' + n);
    fs.realpath.native = fs.realpath;
    fs.realpathSync.native = fs.realpathSync;
    return fs;
  }

  // ---- zlib ------------------------------------------------------------
  // Go's compress packages, whole buffers at a time: a stream collects its
  // input and converts it when it ends. No brotli (Go has none).
  function makeZlib() {
    const { Transform } = require('stream');
    const { Buffer } = require('buffer');
    const constants = {
      Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
      Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4,
      Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6, Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9,
      Z_DEFAULT_COMPRESSION: -1, Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
      DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
    };
    function convert(op, data, opts) {
      const level = opts && opts.level !== undefined ? opts.level | 0 : -1;
      const out = host.zlib(op, bufferFrom(data), level);
      if (typeof out === 'string') {
        const [code, errno, message] = out.split('|');
        const e = new ErrorCtor(message);
        e.code = code;
        e.errno = Number(errno);
        throw e;
      }
      return Buffer.from(out);
    }
    const mod = { constants, codes: {} };
    Object.assign(mod, constants);
    const kinds = { Gzip: 'gzip', Gunzip: 'gunzip', Deflate: 'deflate', Inflate: 'inflate', DeflateRaw: 'deflateRaw', InflateRaw: 'inflateRaw', Unzip: 'unzip' };
    for (const name of ObjectKeys(kinds)) {
      const op = kinds[name];
      class Zlib extends Transform {
        constructor(opts) {
          super(opts);
          this._opts = opts || {};
          this._chunks = [];
          this.bytesWritten = 0;
        }
        _transform(chunk, encoding, cb) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
          this._chunks.push(b);
          this.bytesWritten += b.length;
          cb();
        }
        _flush(cb) {
          let out;
          try { out = convert(op, Buffer.concat(this._chunks), this._opts); } catch (e) { cb(e); return; }
          this._chunks = [];
          if (out.length) this.push(out);
          cb();
        }
        flush(kind, cb) { if (typeof kind === 'function') cb = kind; if (cb) processObj.nextTick(cb); }
        params(level, strategy, cb) { if (cb) processObj.nextTick(cb); }
        reset() {}
        close(cb) { if (cb) this.once('close', cb); this.destroy(); }
      }
      defineProperty(Zlib, 'name', { value: name });
      mod[name] = Zlib;
      mod['create' + name] = (opts) => new Zlib(opts);
      mod[op + 'Sync'] = (data, opts) => convert(op, typeof data === 'string' ? Buffer.from(data) : data, opts);
      mod[op] = (data, opts, cb) => {
        if (typeof opts === 'function') { cb = opts; opts = {}; }
        let out, err = null;
        try { out = convert(op, typeof data === 'string' ? Buffer.from(data) : data, opts); } catch (e) { err = e; }
        processObj.nextTick(() => cb(err, out));
      };
    }
    for (const name of ['BrotliCompress', 'BrotliDecompress']) {
      mod[name] = refuse('zlib.' + name);
      mod['create' + name] = refuse('zlib.create' + name);
    }
    for (const name of ['brotliCompress', 'brotliDecompress', 'brotliCompressSync', 'brotliDecompressSync']) mod[name] = refuse('zlib.' + name);
    return mod;
  }

  // ---- os: fixed values, not the machine's -------------------------------
  function makeOS() {
    return {
      EOL: '\n',
      platform: () => 'linux', type: () => 'Linux', arch: () => 'x64', release: () => '5.15.0', version: () => '#1 SMP',
      machine: () => 'x86_64', hostname: () => 'localhost', homedir: () => '/', tmpdir: () => '/tmp', endianness: () => 'LE',
      uptime: () => 0, loadavg: () => [0, 0, 0], totalmem: () => 0, freemem: () => 0,
      cpus: () => [], networkInterfaces: () => ({}), availableParallelism: () => 1,
      userInfo: () => ({ uid: -1, gid: -1, username: 'sandbox', homedir: '/', shell: null }),
      constants: { signals: {}, errno: {} }, devNull: '/dev/null',
    };
  }

  function reset() {
    if (!touched) return;
    touched = false;
    timers.clear();
    counts.clear();
  }

  return { require, reset };
})
