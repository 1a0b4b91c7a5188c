const fs = require('fs');
module.exports = 'node:' + typeof fs.readFileSync;
