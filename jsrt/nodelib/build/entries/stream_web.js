'use strict';
// Node's stream/web: the WHATWG streams, from web-streams-polyfill's ponyfill (it changes no
// global).
module.exports = require('web-streams-polyfill');
