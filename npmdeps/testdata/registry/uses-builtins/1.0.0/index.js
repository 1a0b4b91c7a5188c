const crypto = require('crypto');
exports.hash = (s) => crypto.createHash('sha256').update(s).digest('hex');
// Only on a path the sandbox never takes.
exports.gzip = (b) => require('zlib').gzipSync(b);
