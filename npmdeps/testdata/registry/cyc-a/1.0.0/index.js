exports.name = 'a';
exports.other = () => require('cyc-b').name;
