// lib/stream.js is Node's own module shape (the legacy Stream constructor carrying Readable,
// Writable, …, promises); the package's main file exports Readable instead, for old users.
module.exports = require('readable-stream/lib/stream.js');
