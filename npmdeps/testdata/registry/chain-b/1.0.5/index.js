module.exports = { version: '1.0.5', lpadVersion: require('lpad').version };
