exports.kind = 'cjs';
exports.sum = async (n) => (n * (n - 1)) / 2;
