module.exports = 'mac';
