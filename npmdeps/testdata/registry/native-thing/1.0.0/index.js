module.exports = require('./build/Release/thing.node');
