module.exports = { version: '1.1.0', lpadVersion: require('lpad').version };
