'use strict';
const lpad = require('lpad');
exports.greet = (name) => 'hello ' + lpad(name, 6, '.') + ' (lpad ' + lpad.version + ')';
