let native = null;
try { native = require('native-thing'); } catch (e) { /* optional */ }
module.exports = { hasNative: native !== null };
