module.exports = require('buffer/');
