/**
 * The parameter box speaks PyTorch's own keyword syntax:
 *   stride=2, padding=(1, 0), dilation=1, groups=1, padding_mode='reflect', ceil_mode=True, divisor_override=None
 * This module turns that text into request fields, or an error that points at the column. Pure: no vscode.
 */

export type KwValue = number | string | boolean | null | number[];

export interface KwargsOk {
  readonly ok: true;
  readonly values: Record<string, KwValue>;
}

export interface KwargsError {
  readonly ok: false;
  readonly message: string;
  /** 0-based offset into the text */
  readonly offset: number;
}

export type KwargsResult = KwargsOk | KwargsError;

/** The keywords each kind of command accepts, as in torch.nn.functional (plus flip for true convolution). */
export const KEYWORDS = {
  conv: ['stride', 'padding', 'dilation', 'groups', 'padding_mode', 'flip', 'bias'],
  conv_transpose: ['stride', 'padding', 'output_padding', 'dilation', 'groups'],
  max_pool: ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode'],
  avg_pool: ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'],
  unfold: ['stride', 'padding', 'dilation', 'kernel_size'],
  gradcheck: ['stride', 'padding', 'dilation', 'groups', 'padding_mode', 'flip', 'eps', 'atol', 'rtol', 'fast_mode'],
} as const;

export type KeywordSet = keyof typeof KEYWORDS;

class KwSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Parses `key=value, key=value`. `allowed` limits the keys (a typo gets a suggestion). */
export function parseKwargs(text: string, allowed?: readonly string[]): KwargsResult {
  let i = 0;
  const values: Record<string, KwValue> = {};
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (what: string): never => {
    throw new KwSyntaxError(
      `expected ${what} at column ${i + 1}${i < text.length ? `, found '${text[i]}'` : ', found the end'}`,
      i,
    );
  };
  const number = (): number => {
    const m = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text.slice(i));
    if (!m) return expect('a number');
    i += m[0].length;
    return Number(m[0]);
  };
  const value = (): KwValue => {
    skip();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new KwSyntaxError(`unclosed string starting at column ${i + 1}`, i);
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: number[] = [];
      skip();
      while (text[i] !== close) {
        items.push(number());
        skip();
        if (text[i] === ',') {
          i++;
          skip();
        } else if (text[i] !== close) expect(`',' or '${close}'`);
      }
      i++;
      return items;
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      if (word[0] === 'True' || word[0] === 'true') return true;
      if (word[0] === 'False' || word[0] === 'false') return false;
      if (word[0] === 'None' || word[0] === 'null') return null;
      // a bare word such as same or reflect is taken as the string PyTorch expects
      return word[0];
    }
    return number();
  };
  try {
    skip();
    while (i < text.length) {
      const keyStart = i;
      const key = /^[A-Za-z_]\w*/.exec(text.slice(i));
      if (!key) expect('a keyword such as stride');
      const name = (key as RegExpExecArray)[0];
      i += name.length;
      if (allowed && !allowed.includes(name)) {
        throw new KwSyntaxError(
          `unknown keyword '${name}'${suggest(name, allowed)}; this command takes ${allowed.join(', ')}`,
          keyStart,
        );
      }
      if (name in values) throw new KwSyntaxError(`'${name}' is given twice`, keyStart);
      skip();
      if (text[i] !== '=') expect(`'=' after ${name}`);
      i++;
      values[name] = value();
      skip();
      if (i < text.length) {
        if (text[i] !== ',') expect("',' between keywords");
        i++;
        skip();
      }
    }
    return { ok: true, values };
  } catch (e) {
    if (e instanceof KwSyntaxError) return { ok: false, message: e.message, offset: e.offset };
    return { ok: false, message: String(e), offset: 0 };
  }
}

function suggest(word: string, options: readonly string[]): string {
  const close = options.find((o) => o.startsWith(word.slice(0, 3)) || word.startsWith(o.slice(0, 4)));
  return close ? ` (did you mean '${close}'?)` : '';
}

/** Writes values back in the same syntax, for the remembered default and presets. */
export function formatKwargs(values: Record<string, KwValue>): string {
  return Object.entries(values)
    .map(
      ([k, v]) =>
        `${k}=${Array.isArray(v) ? `(${v.join(', ')})` : typeof v === 'string' ? `'${v}'` : v === null ? 'None' : v === true ? 'True' : v === false ? 'False' : v}`,
    )
    .join(', ');
}
