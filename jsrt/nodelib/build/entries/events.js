module.exports = require('events/');
