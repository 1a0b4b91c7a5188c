export async function* count(n) {
  for (let i = 0; i < n; i++) yield i;
}
export async function sum(n) {
  let total = 0;
  for await (const i of count(n)) total += i;
  return total;
}
export const kind = 'esm';
