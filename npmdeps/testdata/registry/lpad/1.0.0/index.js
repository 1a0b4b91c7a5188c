'use strict';
// Pads a string on the left to a width.
module.exports = function lpad(s, n, c) {
  s = String(s);
  while (s.length < n) s = (c || ' ') + s;
  return s;
};
module.exports.version = '1.0.0';
