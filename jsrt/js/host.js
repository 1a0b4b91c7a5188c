// Host bootstrap: run once per runtime before any user code, with the Go
// natives as `host`. Defines the globals (heavy ones lazily) and returns
// {require, reset}. Intrinsics are captured here so later user changes
// to globals do not break the host.
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

  // ---- lazily built modules --------------------------------------------
  const modules = new Map();
  const factories = {
    buffer: makeBuffer,
    crypto: makeCrypto,
    util: makeUtil,
    events: makeEvents,
    url: makeURL,
    querystring: makeQuerystring,
    string_decoder: makeStringDecoder,
    os: makeOS,
    punycode: makePunycode,
    timers: () => ({ setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval,
      clearInterval: g.clearInterval, setImmediate: g.setImmediate, clearImmediate: g.clearImmediate }),
    process: () => processObj,
    assert: makeAssert,
  };
  function mod(name) {
    if (!modules.has(name)) modules.set(name, factories[name]());
    return modules.get(name);
  }
  function require(name) {
    if (typeof name !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string');
    const id = name.startsWith('node:') ? name.slice(5) : name;
    if (Object.prototype.hasOwnProperty.call(factories, id)) return mod(id);
    const err = new ErrorCtor("Cannot find module '" + name + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }

  lazy(g, 'Buffer', () => mod('buffer').Buffer);
  lazy(g, 'TextEncoder', () => mod('util').TextEncoder);
  lazy(g, 'TextDecoder', () => mod('util').TextDecoder);
  lazy(g, 'URL', () => mod('url').URL);
  lazy(g, 'URLSearchParams', () => mod('url').URLSearchParams);
  lazy(g, 'crypto', () => mod('crypto').webcrypto);
  hidden(g, 'atob', function atob(s) { if (arguments.length === 0) throw new TypeErrorCtor('1 argument required'); return host.atob(StringCtor(s)); });
  hidden(g, 'btoa', function btoa(s) { if (arguments.length === 0) throw new TypeErrorCtor('1 argument required'); return host.btoa(StringCtor(s)); });
  if (host.fetch) {
    lazy(g, 'fetch', () => makeFetch().fetch);
    lazy(g, 'Headers', () => makeFetch().Headers);
    lazy(g, 'Response', () => makeFetch().Response);
  }

  // ---- buffer ----------------------------------------------------------
  function makeBuffer() {
    const encode = host.encode, decode = host.decode;
    function toBytes(value, encoding) { return new Uint8Array(encode(StringCtor(value), encoding)); }
    class Buffer extends Uint8Array {
      constructor(a, b, c) {
        if (typeof a === 'string') {
          const bytes = encode(a, b);
          super(bytes);
        } else if (typeof a === 'number' || a === undefined) {
          super(a || 0);
        } else if (a instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer)) {
          super(a, b === undefined ? 0 : b, c === undefined ? a.byteLength - (b || 0) : c);
        } else {
          super(a);
        }
      }
      static from(value, encOrOffset, length) {
        if (typeof value === 'string') return new Buffer(encode(value, encOrOffset));
        if (value instanceof ArrayBuffer) {
          const off = encOrOffset >>> 0;
          return new Buffer(value, off, length === undefined ? value.byteLength - off : length >>> 0);
        }
        if (ArrayBuffer.isView(value)) {
          const copy = new Buffer(value.length);
          for (let i = 0; i < value.length; i++) copy[i] = value[i];
          return copy;
        }
        if (value && value.type === 'Buffer' && ArrayIsArray(value.data)) return Buffer.from(value.data);
        if (ArrayIsArray(value) || (value && typeof value.length === 'number')) {
          const out = new Buffer(value.length);
          for (let i = 0; i < value.length; i++) out[i] = value[i] & 255;
          return out;
        }
        if (value && typeof value.valueOf === 'function' && value.valueOf() !== value) return Buffer.from(value.valueOf(), encOrOffset, length);
        throw new TypeErrorCtor('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.');
      }
      static alloc(size, fill, encoding) {
        checkSize(size);
        const b = new Buffer(size);
        if (fill !== undefined && fill !== 0) b.fill(fill, 0, b.length, encoding);
        return b;
      }
      static allocUnsafe(size) { checkSize(size); return new Buffer(size); }
      static allocUnsafeSlow(size) { checkSize(size); return new Buffer(size); }
      static isBuffer(b) { return b instanceof Buffer; }
      static isEncoding(e) { return typeof e === 'string' && host.isEncoding(e); }
      static byteLength(value, encoding) {
        if (typeof value !== 'string') {
          if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
          throw new TypeErrorCtor('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer.');
        }
        return encode(value, encoding).byteLength;
      }
      static concat(list, totalLength) {
        if (!ArrayIsArray(list)) throw new TypeErrorCtor('The "list" argument must be an instance of Array.');
        let total = 0;
        for (const b of list) total += b.length;
        if (totalLength !== undefined) total = totalLength >>> 0;
        const out = Buffer.alloc(total);
        let pos = 0;
        for (const b of list) {
          for (let i = 0; i < b.length && pos < total; i++) out[pos++] = b[i];
          if (pos >= total) break;
        }
        return out;
      }
      static compare(a, b) { return a.compare(b); }
      toString(encoding, start, end) {
        start = start === undefined ? 0 : Math.max(0, start | 0);
        end = end === undefined ? this.length : Math.min(this.length, end | 0);
        if (end <= start) return '';
        const view = (start === 0 && end === this.length) ? this : Uint8Array.prototype.subarray.call(this, start, end);
        return decode(view, encoding);
      }
      toJSON() { return { type: 'Buffer', data: Array.prototype.slice.call(this) }; }
      equals(other) { return this.compare(other) === 0; }
      compare(other) {
        if (!(other instanceof Uint8Array)) throw new TypeErrorCtor('The "target" argument must be an instance of Buffer or Uint8Array.');
        const n = Math.min(this.length, other.length);
        for (let i = 0; i < n; i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
        return this.length === other.length ? 0 : (this.length < other.length ? -1 : 1);
      }
      slice(start, end) { return this.subarray(start, end); }
      subarray(start, end) {
        const u = Uint8Array.prototype.subarray.call(this, start, end);
        return new Buffer(u.buffer, u.byteOffset, u.length);
      }
      write(string, offset, length, encoding) {
        if (typeof offset === 'string') { encoding = offset; offset = 0; length = undefined; }
        else if (typeof length === 'string') { encoding = length; length = undefined; }
        offset = offset >>> 0;
        const bytes = toBytes(string, encoding);
        const n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length >>> 0);
        for (let i = 0; i < n; i++) this[offset + i] = bytes[i];
        return n;
      }
      copy(target, targetStart, sourceStart, sourceEnd) {
        targetStart = targetStart >>> 0; sourceStart = sourceStart >>> 0;
        sourceEnd = sourceEnd === undefined ? this.length : Math.min(this.length, sourceEnd >>> 0);
        let n = 0;
        for (let i = sourceStart; i < sourceEnd && targetStart + n < target.length; i++) target[targetStart + n++] = this[i];
        return n;
      }
      fill(value, offset, end, encoding) {
        if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
        offset = offset === undefined ? 0 : offset >>> 0;
        end = end === undefined ? this.length : Math.min(this.length, end >>> 0);
        if (typeof value === 'number') { Uint8Array.prototype.fill.call(this, value & 255, offset, end); return this; }
        const bytes = typeof value === 'string' ? toBytes(value, encoding) : Buffer.from(value);
        if (bytes.length === 0) { Uint8Array.prototype.fill.call(this, 0, offset, end); return this; }
        for (let i = offset, j = 0; i < end; i++, j = (j + 1) % bytes.length) this[i] = bytes[j];
        return this;
      }
      indexOf(value, byteOffset, encoding) {
        if (typeof value === 'number') return Uint8Array.prototype.indexOf.call(this, value & 255, byteOffset);
        const needle = typeof value === 'string' ? toBytes(value, encoding) : value;
        const from = byteOffset === undefined ? 0 : byteOffset | 0;
        outer: for (let i = Math.max(0, from); i <= this.length - needle.length; i++) {
          for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
          return i;
        }
        return -1;
      }
      includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; }
      readUInt8(o = 0) { return check(this, o, 1)[o]; }
      readInt8(o = 0) { const v = check(this, o, 1)[o]; return v & 0x80 ? v - 0x100 : v; }
      readUInt16BE(o = 0) { check(this, o, 2); return (this[o] << 8) | this[o + 1]; }
      readUInt16LE(o = 0) { check(this, o, 2); return this[o] | (this[o + 1] << 8); }
      readUInt32BE(o = 0) { check(this, o, 4); return this[o] * 0x1000000 + ((this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]); }
      readUInt32LE(o = 0) { check(this, o, 4); return this[o + 3] * 0x1000000 + ((this[o + 2] << 16) | (this[o + 1] << 8) | this[o]); }
      readInt32BE(o = 0) { check(this, o, 4); return (this[o] << 24) | (this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]; }
      readInt32LE(o = 0) { check(this, o, 4); return (this[o + 3] << 24) | (this[o + 2] << 16) | (this[o + 1] << 8) | this[o]; }
      writeUInt8(v, o = 0) { check(this, o, 1)[o] = v & 255; return o + 1; }
      writeUInt16BE(v, o = 0) { check(this, o, 2); this[o] = v >>> 8; this[o + 1] = v; return o + 2; }
      writeUInt16LE(v, o = 0) { check(this, o, 2); this[o] = v; this[o + 1] = v >>> 8; return o + 2; }
      writeUInt32BE(v, o = 0) { check(this, o, 4); this[o] = v >>> 24; this[o + 1] = v >>> 16; this[o + 2] = v >>> 8; this[o + 3] = v; return o + 4; }
      writeUInt32LE(v, o = 0) { check(this, o, 4); this[o + 3] = v >>> 24; this[o + 2] = v >>> 16; this[o + 1] = v >>> 8; this[o] = v; return o + 4; }
      writeInt32BE(v, o = 0) { return this.writeUInt32BE(v >>> 0, o); }
      writeInt32LE(v, o = 0) { return this.writeUInt32LE(v >>> 0, o); }
    }
    for (const [alias, name] of [['readUint8', 'readUInt8'], ['readUint16BE', 'readUInt16BE'], ['readUint16LE', 'readUInt16LE'],
      ['readUint32BE', 'readUInt32BE'], ['readUint32LE', 'readUInt32LE'], ['writeUint8', 'writeUInt8'],
      ['writeUint32BE', 'writeUInt32BE'], ['writeUint32LE', 'writeUInt32LE']]) {
      hidden(Buffer.prototype, alias, Buffer.prototype[name]);
    }
    function check(buf, offset, n) {
      if (offset < 0 || offset + n > buf.length) throw new RangeErrorCtor('The value of "offset" is out of range.');
      return buf;
    }
    function checkSize(size) {
      if (typeof size !== 'number') throw new TypeErrorCtor('The "size" argument must be of type number.');
      if (size < 0 || size !== size) throw new RangeErrorCtor('The value of "size" is out of range.');
    }
    hidden(Buffer, 'poolSize', 8192);
    return { Buffer, kMaxLength: 2 ** 31 - 1, constants: { MAX_LENGTH: 2 ** 31 - 1 }, atob: g.atob, btoa: g.btoa };
  }

  function bufferFrom(data, encoding) {
    const { Buffer } = mod('buffer');
    if (typeof data === 'string') return Buffer.from(data, encoding);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeErrorCtor('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
  }

  // ---- crypto ----------------------------------------------------------
  function makeCrypto() {
    const { Buffer } = mod('buffer');
    function output(bytes, encoding) {
      const b = new Buffer(bytes);
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
      const k = typeof key === 'string' ? Buffer.from(key) : (key && key.export ? key.export() : bufferFrom(key));
      return new Hash(host.hmac(StringCtor(alg), k));
    }
    function randomBytes(size, cb) {
      const b = new Buffer(host.randomBytes(size));
      if (typeof cb === 'function') { queueMicrotask(() => cb(null, b)); return undefined; }
      return b;
    }
    function randomInt(min, max, cb) {
      if (max === undefined || typeof max === 'function') { cb = max; max = min; min = 0; }
      const range = max - min;
      if (!(range > 0)) throw new RangeErrorCtor('The value of "max" is out of range. It must be greater than the value of "min"');
      const bytes = new Uint8Array(host.randomBytes(6));
      let n = 0;
      for (const x of bytes) n = n * 256 + x;
      const v = min + (n % range);
      if (typeof cb === 'function') { queueMicrotask(() => cb(null, v)); return undefined; }
      return v;
    }
    function getRandomValues(arr) {
      if (!ArrayBuffer.isView(arr)) throw new TypeErrorCtor('The data argument must be an integer-type TypedArray');
      host.fillRandom(arr);
      return arr;
    }
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
      webcrypto, subtle,
      pseudoRandomBytes: randomBytes,
    };
  }

  // ---- util ------------------------------------------------------------
  function makeUtil() {
    const encode = host.encode, decode = host.decode;
    class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(input = '') { return new Uint8Array(encode(StringCtor(input), 'utf8')); }
      encodeInto(src, dest) {
        const bytes = this.encode(src);
        const n = Math.min(bytes.length, dest.length);
        for (let i = 0; i < n; i++) dest[i] = bytes[i];
        return { read: src.length, written: n };
      }
    }
    class TextDecoder {
      constructor(label = 'utf-8', options = {}) {
        const l = StringCtor(label).toLowerCase();
        if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') throw new RangeErrorCtor('The "' + label + '" encoding is not supported');
        this._fatal = !!options.fatal;
        this._ignoreBOM = !!options.ignoreBOM;
      }
      get encoding() { return 'utf-8'; }
      get fatal() { return this._fatal; }
      get ignoreBOM() { return this._ignoreBOM; }
      decode(input) {
        if (input === undefined) return '';
        let view = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
        if (!this._ignoreBOM && view.length >= 3 && view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf) view = view.subarray(3);
        const s = decode(view, 'utf8');
        if (this._fatal && s.indexOf('\uFFFD') !== -1) {
          const strict = new TypeErrorCtor('The encoded data was not valid for encoding utf-8');
          strict.code = 'ERR_ENCODING_INVALID_ENCODED_DATA';
          throw strict;
        }
        return s;
      }
    }
    const custom = Symbol.for('nodejs.util.promisify.custom');
    function promisify(fn) {
      if (typeof fn !== 'function') throw new TypeErrorCtor('The "original" argument must be of type Function');
      if (fn[custom]) return fn[custom];
      return function (...args) {
        return new Promise((resolve, reject) => {
          fn.call(this, ...args, (err, ...values) => {
            if (err) reject(err); else resolve(values.length > 1 ? values : values[0]);
          });
        });
      };
    }
    promisify.custom = custom;
    function callbackify(fn) {
      return function (...args) {
        const cb = args.pop();
        PromiseResolve(fn.apply(this, args)).then((v) => cb(null, v), (e) => cb(e || new ErrorCtor('Promise was rejected with a falsy value')));
      };
    }
    function inherits(ctor, superCtor) {
      hidden(ctor, 'super_', superCtor);
      Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
    }
    function deprecate(fn) { return fn; }
    function isDeepStrictEqual(a, b) { return deepEqual(a, b); }
    const types = {
      isPromise: (v) => v instanceof Promise,
      isDate: (v) => v instanceof Date,
      isRegExp: (v) => v instanceof RegExp,
      isMap: (v) => v instanceof Map,
      isSet: (v) => v instanceof Set,
      isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
      isUint8Array: (v) => v instanceof Uint8Array,
      isArrayBuffer: (v) => v instanceof ArrayBuffer,
      isAnyArrayBuffer: (v) => v instanceof ArrayBuffer,
      isNativeError: (v) => v instanceof ErrorCtor,
      isAsyncFunction: (v) => typeof v === 'function' && v.constructor && v.constructor.name === 'AsyncFunction',
      isGeneratorFunction: (v) => typeof v === 'function' && v.constructor && v.constructor.name === 'GeneratorFunction',
    };
    inspect.custom = Symbol.for('nodejs.util.inspect.custom');
    return {
      format, inspect, promisify, callbackify, inherits, deprecate, isDeepStrictEqual, types,
      TextEncoder, TextDecoder,
      isArray: ArrayIsArray,
      isString: (v) => typeof v === 'string',
      isNumber: (v) => typeof v === 'number',
      isFunction: (v) => typeof v === 'function',
      isObject: (v) => v !== null && typeof v === 'object',
      isUndefined: (v) => v === undefined,
      isNullOrUndefined: (v) => v == null,
      isError: (v) => v instanceof ErrorCtor,
    };
  }

  function deepEqual(a, b) {
    if (Object.is(a, b)) return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (a instanceof Date) return a.getTime() === b.getTime();
    const ka = ObjectKeys(a), kb = ObjectKeys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }

  function makeAssert() {
    class AssertionError extends ErrorCtor {
      constructor(message) { super(message); this.name = 'AssertionError'; this.code = 'ERR_ASSERTION'; }
    }
    function fail(message, def) { throw message instanceof ErrorCtor ? message : new AssertionError(message || def); }
    function assert(v, message) { if (!v) fail(message, 'The expression evaluated to a falsy value'); }
    assert.ok = assert;
    assert.equal = (a, b, m) => { if (a != b) fail(m, inspect(a) + ' == ' + inspect(b)); };
    assert.notEqual = (a, b, m) => { if (a == b) fail(m, inspect(a) + ' != ' + inspect(b)); };
    assert.strictEqual = (a, b, m) => { if (!Object.is(a, b)) fail(m, 'Expected values to be strictly equal'); };
    assert.notStrictEqual = (a, b, m) => { if (Object.is(a, b)) fail(m, 'Expected values to be not strictly equal'); };
    assert.deepEqual = assert.deepStrictEqual = (a, b, m) => { if (!deepEqual(a, b)) fail(m, 'Expected values to be deeply equal'); };
    assert.fail = (m) => fail(m, 'Failed');
    assert.AssertionError = AssertionError;
    assert.strict = assert;
    return assert;
  }

  // ---- events ----------------------------------------------------------
  function makeEvents() {
    class EventEmitter {
      constructor() { this._events = Object.create(null); this._maxListeners = 10; }
      _list(name) {
        if (!this._events) this._events = Object.create(null);
        return this._events[name] || (this._events[name] = []);
      }
      on(name, fn) {
        if (typeof fn !== 'function') throw new TypeErrorCtor('The "listener" argument must be of type Function');
        if (this._events && this._events.newListener) this.emit('newListener', name, fn);
        this._list(name).push(fn);
        return this;
      }
      addListener(name, fn) { return this.on(name, fn); }
      prependListener(name, fn) { this._list(name).unshift(fn); return this; }
      once(name, fn) {
        const self = this;
        function wrapper(...args) { self.removeListener(name, wrapper); return fn.apply(this, args); }
        wrapper.listener = fn;
        return this.on(name, wrapper);
      }
      prependOnceListener(name, fn) {
        const self = this;
        function wrapper(...args) { self.removeListener(name, wrapper); return fn.apply(this, args); }
        wrapper.listener = fn;
        return this.prependListener(name, wrapper);
      }
      removeListener(name, fn) {
        const list = this._events && this._events[name];
        if (!list) return this;
        const i = list.findIndex((l) => l === fn || l.listener === fn);
        if (i !== -1) list.splice(i, 1);
        if (list.length === 0) delete this._events[name];
        return this;
      }
      off(name, fn) { return this.removeListener(name, fn); }
      removeAllListeners(name) {
        if (name === undefined) this._events = Object.create(null); else if (this._events) delete this._events[name];
        return this;
      }
      emit(name, ...args) {
        const list = this._events && this._events[name];
        if (!list || list.length === 0) {
          if (name === 'error') {
            const err = args[0];
            if (err instanceof ErrorCtor) throw err;
            const e = new ErrorCtor('Unhandled error.' + (err === undefined ? '' : ' (' + inspect(err) + ')'));
            e.context = err;
            throw e;
          }
          return false;
        }
        for (const fn of list.slice()) fn.apply(this, args);
        return true;
      }
      listeners(name) { return ((this._events && this._events[name]) || []).map((l) => l.listener || l); }
      rawListeners(name) { return ((this._events && this._events[name]) || []).slice(); }
      listenerCount(name) { return ((this._events && this._events[name]) || []).length; }
      eventNames() { return this._events ? Reflect.ownKeys(this._events) : []; }
      setMaxListeners(n) { this._maxListeners = n; return this; }
      getMaxListeners() { return this._maxListeners; }
    }
    EventEmitter.EventEmitter = EventEmitter;
    EventEmitter.defaultMaxListeners = 10;
    EventEmitter.once = function (emitter, name) {
      return new Promise((resolve, reject) => {
        const onError = (err) => { emitter.removeListener(name, onEvent); reject(err); };
        const onEvent = (...args) => { if (name !== 'error') emitter.removeListener('error', onError); resolve(args); };
        emitter.once(name, onEvent);
        if (name !== 'error') emitter.once('error', onError);
      });
    };
    return EventEmitter;
  }

  // ---- url, querystring ------------------------------------------------
  function pctDecode(s) {
    try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return s; }
  }
  function formEncode(s) {
    return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  }

  function makeURL() {
    const LIST = Symbol('list');
    const OWNER = Symbol('owner');
    class URLSearchParams {
      constructor(init) {
        this[LIST] = [];
        if (init === undefined || init === null) return;
        if (typeof init === 'object') {
          if (typeof init[Symbol.iterator] === 'function') {
            for (const pair of init) {
              const p = Array.from(pair);
              if (p.length !== 2) throw new TypeErrorCtor('Each query pair must be an iterable [name, value] tuple');
              this[LIST].push([StringCtor(p[0]), StringCtor(p[1])]);
            }
          } else {
            for (const k of ObjectKeys(init)) this[LIST].push([k, StringCtor(init[k])]);
          }
          return;
        }
        let s = StringCtor(init);
        if (s[0] === '?') s = s.slice(1);
        this._parse(s);
      }
      _parse(s) {
        this[LIST] = [];
        for (const part of s.split('&')) {
          if (part === '') continue;
          const i = part.indexOf('=');
          this[LIST].push(i === -1 ? [pctDecode(part), ''] : [pctDecode(part.slice(0, i)), pctDecode(part.slice(i + 1))]);
        }
      }
      _update() { if (this[OWNER]) this[OWNER]._setSearch(this.toString()); }
      get size() { return this[LIST].length; }
      append(k, v) { this[LIST].push([StringCtor(k), StringCtor(v)]); this._update(); }
      delete(k, v) {
        k = StringCtor(k);
        this[LIST] = this[LIST].filter(([a, b]) => !(a === k && (v === undefined || b === StringCtor(v))));
        this._update();
      }
      get(k) { k = StringCtor(k); const e = this[LIST].find(([a]) => a === k); return e ? e[1] : null; }
      getAll(k) { k = StringCtor(k); return this[LIST].filter(([a]) => a === k).map(([, b]) => b); }
      has(k, v) { k = StringCtor(k); return this[LIST].some(([a, b]) => a === k && (v === undefined || b === StringCtor(v))); }
      set(k, v) {
        k = StringCtor(k); v = StringCtor(v);
        const i = this[LIST].findIndex(([a]) => a === k);
        if (i === -1) this[LIST].push([k, v]);
        else { this[LIST][i][1] = v; this[LIST] = this[LIST].filter(([a], j) => a !== k || j === i); }
        this._update();
      }
      sort() { this[LIST].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._update(); }
      forEach(fn, thisArg) { for (const [k, v] of this[LIST]) fn.call(thisArg, v, k, this); }
      keys() { return this[LIST].map(([k]) => k)[Symbol.iterator](); }
      values() { return this[LIST].map(([, v]) => v)[Symbol.iterator](); }
      entries() { return this[LIST].map(([k, v]) => [k, v])[Symbol.iterator](); }
      [Symbol.iterator]() { return this.entries(); }
      toString() { return this[LIST].map(([k, v]) => formEncode(k) + '=' + formEncode(v)).join('&'); }
    }

    const P = Symbol('parts');
    class URL {
      constructor(input, base) {
        this[P] = host.parseURL(StringCtor(input), base === undefined ? undefined : StringCtor(base));
        this._params = null;
      }
      static canParse(input, base) { try { new URL(input, base); return true; } catch (e) { return false; } }
      _setSearch(s) { this[P].search = s ? '?' + s : ''; }
      _reparse(href) { this[P] = host.parseURL(href); if (this._params) this._params._parse(this[P].search.slice(1)); }
      get href() {
        const p = this[P];
        const auth = p.username || p.password ? p.username + (p.password ? ':' + p.password : '') + '@' : '';
        return p.protocol + (p.slashes ? '//' : '') + auth + this.host + p.pathname + p.search + p.hash;
      }
      set href(v) { this._reparse(StringCtor(v)); }
      get origin() { const p = this[P]; return p.slashes && p.hostname ? p.protocol + '//' + this.host : 'null'; }
      get protocol() { return this[P].protocol; }
      set protocol(v) { v = StringCtor(v).replace(/:.*$/, ''); if (/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(v)) this[P].protocol = v.toLowerCase() + ':'; }
      get username() { return this[P].username; }
      set username(v) { this[P].username = encodeURIComponent(StringCtor(v)); }
      get password() { return this[P].password; }
      set password(v) { this[P].password = encodeURIComponent(StringCtor(v)); }
      get host() { const p = this[P]; return p.hostname + (p.port ? ':' + p.port : ''); }
      set host(v) { const u = host.parseURL(this.protocol + '//' + StringCtor(v)); this[P].hostname = u.hostname; this[P].port = u.port; }
      get hostname() { return this[P].hostname; }
      set hostname(v) { const u = host.parseURL(this.protocol + '//' + StringCtor(v)); this[P].hostname = u.hostname; }
      get port() { return this[P].port; }
      set port(v) {
        v = StringCtor(v);
        if (v === '') { this[P].port = ''; return; }
        const n = parseInt(v, 10);
        if (n >= 0 && n <= 65535) this[P].port = ({ 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 })[this.protocol] === n ? '' : StringCtor(n);
      }
      get pathname() { return this[P].pathname; }
      set pathname(v) {
        v = StringCtor(v);
        if (this[P].slashes && v[0] !== '/') v = '/' + v;
        this[P].pathname = encodeURI(v).replace(/%25([0-9A-Fa-f]{2})/g, '%$1').replace(/[?#]/g, encodeURIComponent);
      }
      get search() { return this[P].search.length > 1 ? this[P].search : ''; }
      set search(v) {
        v = StringCtor(v);
        if (v[0] === '?') v = v.slice(1);
        this[P].search = v ? '?' + encodeURI(v).replace(/%25([0-9A-Fa-f]{2})/g, '%$1').replace(/#/g, '%23') : '';
        if (this._params) this._params._parse(v);
      }
      get searchParams() {
        if (!this._params) {
          this._params = new URLSearchParams(this.search);
          this._params[OWNER] = this;
        }
        return this._params;
      }
      get hash() { return this[P].hash.length > 1 ? this[P].hash : ''; }
      set hash(v) { v = StringCtor(v); if (v[0] === '#') v = v.slice(1); this[P].hash = v ? '#' + encodeURI(v) : ''; }
      toString() { return this.href; }
      toJSON() { return this.href; }
    }

    function parse(s, parseQuery) {
      let u;
      try { u = new URL(s); } catch (e) {
        const out = { protocol: null, slashes: null, auth: null, host: null, port: null, hostname: null, hash: null, search: null, query: null, pathname: null, path: null, href: s };
        const q = s.indexOf('?');
        out.pathname = q === -1 ? s : s.slice(0, q);
        out.search = q === -1 ? null : s.slice(q);
        out.query = parseQuery ? makeQuerystring().parse(out.search ? out.search.slice(1) : '') : (out.search ? out.search.slice(1) : null);
        out.path = s;
        return out;
      }
      const search = u.search || null;
      return {
        protocol: u.protocol, slashes: true,
        auth: u.username ? decodeURIComponent(u.username) + (u.password ? ':' + decodeURIComponent(u.password) : '') : null,
        host: u.host, port: u.port || null, hostname: u.hostname, hash: u.hash || null,
        search, query: parseQuery ? makeQuerystring().parse(search ? search.slice(1) : '') : (search ? search.slice(1) : null),
        pathname: u.pathname, path: u.pathname + (search || ''), href: u.href,
      };
    }
    function format(obj) {
      if (obj instanceof URL) return obj.href;
      if (typeof obj === 'string') return obj;
      let out = '';
      if (obj.protocol) out += obj.protocol.endsWith(':') ? obj.protocol : obj.protocol + ':';
      if (obj.slashes || /^(https?|ftp|wss?|file):?$/.test(obj.protocol || '')) out += '//';
      if (obj.auth) out += encodeURIComponent(obj.auth).replace(/%3A/i, ':') + '@';
      if (obj.host) out += obj.host; else if (obj.hostname) out += obj.hostname + (obj.port ? ':' + obj.port : '');
      out += obj.pathname || '';
      if (obj.search) out += obj.search[0] === '?' ? obj.search : '?' + obj.search;
      else if (obj.query && typeof obj.query === 'object') { const q = makeQuerystring().stringify(obj.query); if (q) out += '?' + q; }
      if (obj.hash) out += obj.hash[0] === '#' ? obj.hash : '#' + obj.hash;
      return out;
    }
    function resolve(from, to) { return new URL(to, new URL(from, 'resolve://')).href.replace(/^resolve:\/\/\/?/, '/'); }
    return { URL, URLSearchParams, parse, format, resolve };
  }

  function makeQuerystring() {
    function parse(str, sep = '&', eq = '=', options) {
      const out = Object.create(null);
      if (typeof str !== 'string' || str.length === 0) return out;
      const max = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
      let parts = str.split(sep);
      if (max > 0) parts = parts.slice(0, max);
      for (const part of parts) {
        if (part === '') continue;
        const i = part.indexOf(eq);
        const k = pctDecode(i === -1 ? part : part.slice(0, i));
        const v = i === -1 ? '' : pctDecode(part.slice(i + eq.length));
        if (Object.prototype.hasOwnProperty.call(out, k)) {
          if (ArrayIsArray(out[k])) out[k].push(v); else out[k] = [out[k], v];
        } else out[k] = v;
      }
      return out;
    }
    function prim(v) {
      switch (typeof v) {
        case 'string': return v;
        case 'number': return isFinite(v) ? StringCtor(v) : '';
        case 'bigint': return StringCtor(v);
        case 'boolean': return v ? 'true' : 'false';
        default: return '';
      }
    }
    function escape(s) { return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()); }
    function stringify(obj, sep = '&', eq = '=') {
      if (obj === null || typeof obj !== 'object') return '';
      const parts = [];
      for (const k of ObjectKeys(obj)) {
        const v = obj[k];
        const ks = escape(prim(k));
        if (ArrayIsArray(v)) for (const x of v) parts.push(ks + eq + escape(prim(x)));
        else parts.push(ks + eq + escape(prim(v)));
      }
      return parts.join(sep);
    }
    return { parse, stringify, decode: parse, encode: stringify, escape, unescape: pctDecode };
  }

  function makeStringDecoder() {
    const { Buffer } = mod('buffer');
    class StringDecoder {
      constructor(encoding = 'utf8') {
        const e = StringCtor(encoding).toLowerCase();
        if (!host.isEncoding(e)) throw new TypeErrorCtor('Unknown encoding: ' + encoding);
        this.encoding = e === 'utf-8' ? 'utf8' : e;
        this._pending = new Buffer(0);
      }
      write(buf) {
        if (typeof buf === 'string') return buf;
        let b = this._pending.length ? Buffer.concat([this._pending, Buffer.from(buf)]) : Buffer.from(buf);
        let keep = 0;
        if (this.encoding === 'utf8') {
          // Hold back an incomplete trailing UTF-8 sequence.
          for (let i = b.length - 1; i >= 0 && i >= b.length - 4; i--) {
            const c = b[i];
            if ((c & 0xc0) === 0x80) continue;
            const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (b.length - i < need) keep = b.length - i;
            break;
          }
        } else if (this.encoding === 'base64' || this.encoding === 'base64url') {
          keep = b.length % 3;
        } else if (this.encoding === 'utf16le' || this.encoding === 'ucs2') {
          keep = b.length % 2;
        }
        this._pending = keep ? b.subarray(b.length - keep) : new Buffer(0);
        return b.subarray(0, b.length - keep).toString(this.encoding);
      }
      end(buf) {
        let s = buf ? this.write(buf) : '';
        if (this._pending.length) { s += this._pending.toString(this.encoding); this._pending = new Buffer(0); }
        return s;
      }
    }
    return { StringDecoder };
  }

  function makeOS() {
    return {
      EOL: '\n',
      platform: () => 'linux', type: () => 'Linux', arch: () => 'x64', release: () => '5.15.0',
      hostname: () => 'localhost', homedir: () => '/', tmpdir: () => '/tmp', endianness: () => 'LE',
      uptime: () => 0, loadavg: () => [0, 0, 0], totalmem: () => 0, freemem: () => 0,
      cpus: () => [], networkInterfaces: () => ({}), availableParallelism: () => 1,
      userInfo: () => ({ uid: -1, gid: -1, username: 'sandbox', homedir: '/', shell: null }),
      constants: { signals: {}, errno: {} },
    };
  }

  function makePunycode() {
    const base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128;
    function adapt(delta, numPoints, firstTime) {
      let k = 0;
      delta = firstTime ? Math.floor(delta / damp) : delta >> 1;
      delta += Math.floor(delta / numPoints);
      for (; delta > ((base - tMin) * tMax) >> 1; k += base) delta = Math.floor(delta / (base - tMin));
      return Math.floor(k + ((base - tMin + 1) * delta) / (delta + skew));
    }
    const digit = (d) => String.fromCharCode(d + 22 + 75 * (d < 26));
    function encode(input) {
      const cps = Array.from(input, (c) => c.codePointAt(0));
      let n = initialN, delta = 0, bias = initialBias;
      let out = cps.filter((c) => c < 128).map((c) => String.fromCharCode(c)).join('');
      const b = out.length;
      let h = b;
      if (b) out += '-';
      while (h < cps.length) {
        const m = Math.min(...cps.filter((c) => c >= n));
        delta += (m - n) * (h + 1);
        n = m;
        for (const c of cps) {
          if (c < n) delta++;
          if (c === n) {
            let q = delta;
            for (let k = base; ; k += base) {
              const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
              if (q < t) break;
              out += digit(t + ((q - t) % (base - t)));
              q = Math.floor((q - t) / (base - t));
            }
            out += digit(q);
            bias = adapt(delta, h + 1, h === b);
            delta = 0;
            h++;
          }
        }
        delta++; n++;
      }
      return out;
    }
    function decode(input) {
      const out = [];
      let n = initialN, i = 0, bias = initialBias;
      let basic = input.lastIndexOf('-');
      if (basic < 0) basic = 0;
      for (let j = 0; j < basic; j++) out.push(input.charCodeAt(j));
      for (let idx = basic > 0 ? basic + 1 : 0; idx < input.length;) {
        const oldi = i;
        for (let w = 1, k = base; ; k += base) {
          const c = input.charCodeAt(idx++);
          const d = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base;
          if (d >= base) throw new RangeErrorCtor('Invalid input');
          i += d * w;
          const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
          if (d < t) break;
          w *= base - t;
        }
        bias = adapt(i - oldi, out.length + 1, oldi === 0);
        n += Math.floor(i / (out.length + 1));
        i %= out.length + 1;
        out.splice(i++, 0, n);
      }
      return String.fromCodePoint(...out);
    }
    const toASCII = (d) => d.split('.').map((l) => (/[^\0-\x7f]/.test(l) ? 'xn--' + encode(l) : l)).join('.');
    const toUnicode = (d) => d.split('.').map((l) => (/^xn--/i.test(l) ? decode(l.slice(4).toLowerCase()) : l)).join('.');
    return { encode, decode, toASCII, toUnicode, version: '2.1.0' };
  }

  // ---- fetch -----------------------------------------------------------
  let fetchModule;
  function makeFetch() {
    if (fetchModule) return fetchModule;
    class Headers {
      constructor(init) {
        this._map = new Map();
        if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
        else if (ArrayIsArray(init)) for (const [k, v] of init) this.append(k, v);
        else if (init && typeof init === 'object') for (const k of ObjectKeys(init)) this.append(k, init[k]);
      }
      append(k, v) { k = StringCtor(k).toLowerCase(); const cur = this._map.get(k); this._map.set(k, cur === undefined ? StringCtor(v) : cur + ', ' + v); }
      set(k, v) { this._map.set(StringCtor(k).toLowerCase(), StringCtor(v)); }
      get(k) { const v = this._map.get(StringCtor(k).toLowerCase()); return v === undefined ? null : v; }
      has(k) { return this._map.has(StringCtor(k).toLowerCase()); }
      delete(k) { this._map.delete(StringCtor(k).toLowerCase()); }
      forEach(fn, thisArg) { for (const [k, v] of this._map) fn.call(thisArg, v, k, this); }
      entries() { return this._map.entries(); }
      keys() { return this._map.keys(); }
      values() { return this._map.values(); }
      [Symbol.iterator]() { return this._map.entries(); }
    }
    class Response {
      constructor(body, init = {}) {
        this._body = body == null ? '' : body;
        this.status = init.status === undefined ? 200 : init.status;
        this.statusText = init.statusText || '';
        this.headers = new Headers(init.headers);
        this.ok = this.status >= 200 && this.status < 300;
        this.url = init.url || '';
        this.redirected = false;
        this.type = 'basic';
        this.bodyUsed = false;
      }
      _take() {
        if (this.bodyUsed) return Promise.reject(new TypeErrorCtor('Body is unusable: Body has already been read'));
        this.bodyUsed = true;
        return PromiseResolve(this._body);
      }
      text() { return this._take().then((b) => (typeof b === 'string' ? b : host.decode(b, 'utf8'))); }
      json() { return this.text().then((t) => JSON.parse(t)); }
      arrayBuffer() { return this._take().then((b) => (typeof b === 'string' ? host.encode(b, 'utf8') : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))); }
      clone() { return new Response(this._body, { status: this.status, statusText: this.statusText, headers: this.headers, url: this.url }); }
    }
    function fetch(input, init = {}) {
      return new Promise((resolve, reject) => {
        const url = typeof input === 'string' ? input : input instanceof g.URL ? input.href : StringCtor(input && input.url ? input.url : input);
        const headers = [];
        new Headers(init.headers).forEach((v, k) => headers.push([k, v]));
        let body = init.body;
        if (body != null && typeof body !== 'string') {
          if (body instanceof g.URLSearchParams) {
            body = body.toString();
            if (!headers.some(([k]) => k === 'content-type')) headers.push(['content-type', 'application/x-www-form-urlencoded;charset=UTF-8']);
          } else if (!(ArrayBuffer.isView(body) || body instanceof ArrayBuffer)) {
            body = StringCtor(body);
          }
        }
        host.fetch(url, StringCtor(init.method || 'GET').toUpperCase(), headers, body == null ? null : body,
          (err, res) => {
            if (err) { const e = new TypeErrorCtor('fetch failed'); e.cause = new ErrorCtor(err); reject(e); return; }
            resolve(new Response(new Uint8Array(res.body), { status: res.status, statusText: res.statusText, headers: res.headers, url: res.url }));
          });
      });
    }
    fetchModule = { fetch, Headers, Response };
    return fetchModule;
  }

  function reset() {
    if (!touched) return;
    touched = false;
    timers.clear();
    counts.clear();
  }

  return { require, reset };
})
