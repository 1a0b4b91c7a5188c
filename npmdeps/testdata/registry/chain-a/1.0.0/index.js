module.exports = { b: require('chain-b') };
