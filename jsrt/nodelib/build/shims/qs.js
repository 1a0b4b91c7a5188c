'use strict';
// npm url takes qs for url.parse(s, true) and url.format; Node's own url module uses querystring,
// whose results differ for nested keys (a[b]=1). This keeps Node's behaviour and leaves qs out.
const querystring = require('querystring');

module.exports = {
  parse: (str) => querystring.parse(str),
  stringify: (obj) => querystring.stringify(obj),
};
