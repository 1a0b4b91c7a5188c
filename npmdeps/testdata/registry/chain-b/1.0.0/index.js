module.exports = { version: '1.0.0', lpadVersion: require('lpad').version };
