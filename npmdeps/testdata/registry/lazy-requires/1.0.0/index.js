exports.ok = require('esm-exports').kind;
// Neither resolves: a subpath "exports" does not list, and a package listed nowhere.
exports.later = () => [require('esm-exports/esm.mjs'), require('not-listed-anywhere')];
