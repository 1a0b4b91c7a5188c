const fs = require('fs');
module.exports = 'browser:' + typeof fs.readFileSync;
