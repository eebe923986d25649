/** Numbers as people read them (host and webview alike): integers as they are, others to `precision` significant digits. */
export function formatNumber(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(precision)));
}
