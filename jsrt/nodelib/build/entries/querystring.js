'use strict';
// Node's querystring: parse and stringify from querystring-es3 (Node's own code of 2013; build
// patches parse to decode through unescape below), escape and unescape as Node defines them.
const qs = require('querystring-es3');
const { Buffer } = require('buffer');

function isHex(c) {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function hexValue(c) {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

// unescapeBuffer decodes the valid %XX escapes of s into bytes and keeps everything else.
function unescapeBuffer(s, decodeSpaces) {
  const out = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43 /* + */ && decodeSpaces) {
      out[n++] = 32;
    } else if (c === 37 /* % */ && i + 2 < s.length + 0 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out[n++] = hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2));
      i += 2;
    } else if (c < 0x80) {
      out[n++] = c;
    } else {
      const b = Buffer.from(s[i] + (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? s[++i] : ''));
      b.copy(out, n);
      n += b.length;
    }
  }
  return out.subarray(0, n);
}

function unescape(s, decodeSpaces) {
  try {
    return decodeURIComponent(s);
  } catch {
    return module.exports.unescapeBuffer(s, decodeSpaces).toString();
  }
}

function escape(str) {
  if (typeof str !== 'string') {
    str = typeof str === 'object' ? String(str) : str + '';
  }
  return encodeURIComponent(str);
}

module.exports = {
  parse: qs.parse,
  decode: qs.parse,
  stringify: qs.stringify,
  encode: qs.stringify,
  escape,
  unescape,
  unescapeBuffer,
};
