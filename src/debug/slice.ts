/**
 * A slice of a tensor that is over the size cap, as a Python expression a person can edit: fix leading indices at
 * 0 until what is left fits (`x[0]`, `x[0, 0]`), and cut the last dim when even one row is too long
 * (`x[0, :1000000]`). Pure: no vscode.
 */

/**
 * True when `expression` is a primary Python expression — a name followed by `.attr`, `[…]` and `(…)` — so that
 * appending `[…]` indexes the whole of it; anything else is parenthesised first (`(a + b)[0]`).
 */
export function isPrimaryExpression(expression: string): boolean {
  const s = expression.trim();
  const name = /^[A-Za-z_][\w]*/.exec(s);
  if (!name) return false;
  let i = name[0].length;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      const attr = /^\.\s*[A-Za-z_]\w*/.exec(s.slice(i));
      if (!attr) return false;
      i += attr[0].length;
    } else if (c === '[' || c === '(') {
      const end = matchingBracket(s, i);
      if (end < 0) return false;
      i = end + 1;
    } else if (/\s/.test(c)) {
      i++;
    } else return false;
  }
  return true;
}

/** The index of the bracket closing the one at `open`, skipping strings; -1 when unbalanced. */
function matchingBracket(s: string, open: number): number {
  const closing: Record<string, string> = { '[': ']', '(': ')', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (closing[c]) stack.push(closing[c]);
    else if (c === ']' || c === ')' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** An expression for the first part of `expression`'s value that has at most `cap` elements. */
export function suggestSlice(expression: string, shape: readonly number[], cap: number): string {
  const base = isPrimaryExpression(expression) ? expression.trim() : `(${expression.trim()})`;
  if (shape.length === 0) return base;
  const index: string[] = [];
  let rest = shape.reduce((a, b) => a * b, 1);
  let d = 0;
  while (rest > cap && d < shape.length - 1) {
    rest /= shape[d] || 1;
    index.push('0');
    d++;
  }
  if (rest > cap) index.push(`:${Math.max(1, Math.floor(cap))}`);
  return index.length ? `${base}[${index.join(', ')}]` : base;
}
