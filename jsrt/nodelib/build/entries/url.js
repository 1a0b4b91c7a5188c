'use strict';
// Node's url module: the legacy url.parse/format/resolve (npm url, Node's own old code) and the
// WHATWG URL and URLSearchParams (whatwg-url, the standard's reference implementation). The
// WHATWG part loads on first use: many scripts want only url.parse.
const legacy = require('url/');

let whatwg;
function whatwgURL() {
  whatwg = whatwg || require('whatwg-url');
  return whatwg;
}

function lazy(name) {
  return {
    configurable: true,
    enumerable: true,
    get() {
      return whatwgURL()[name];
    },
    set(value) {
      Object.defineProperty(this, name, { value, writable: true, configurable: true, enumerable: true });
    },
  };
}

// hostOf is Node's way to a domain's ASCII form: set it as the hostname of ws://x (a special
// scheme, so IDNA applies); null when that fails.
function hostOf(domain) {
  const w = whatwgURL();
  const url = w.parseURL('ws://x');
  return w.basicURLParse(`${domain}`, { url, stateOverride: 'hostname' }) === null ? null : w.serializeHost(url.host);
}

function domainToASCII(domain) {
  const host = hostOf(domain);
  return host === null ? '' : host;
}

function domainToUnicode(domain) {
  const host = hostOf(domain);
  if (host === null) return '';
  return require('tr46').toUnicode(host, { checkBidi: true, checkJoiners: true }).domain;
}

module.exports = {
  Url: legacy.Url,
  parse: legacy.parse,
  resolve: legacy.resolve,
  resolveObject: legacy.resolveObject,
  format: legacy.format,
  domainToASCII,
  domainToUnicode,
};
Object.defineProperties(module.exports, { URL: lazy('URL'), URLSearchParams: lazy('URLSearchParams') });
