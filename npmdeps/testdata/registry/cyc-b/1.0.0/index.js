exports.name = 'b';
exports.other = () => require('cyc-a').name;
