/* eslint-disable @typescript-eslint/only-throw-error -- the interpreter's signals (a Python exception, an unknown, a refusal) are not Errors: the lens re-runs on every keystroke, and capturing a stack trace per signal would cost more than the work */
/**
 * Tokens → syntax tree (syntax.ts): an expression reader (Python's precedence, comprehensions, f-strings,
 * slices, starred and keyword arguments) and a statement reader that turns indentation into blocks.
 *
 * A statement that does not parse becomes an `error` statement with the reason and the parser goes on with
 * the next one: a half-typed line in one method must not hide the rest of the file.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import type { CallArg, DictItem, Expr, FormatField, Generator, Handler, Param, ParsedChunk, Pos, Stmt } from './syntax';
import { NAME, NUMBER, OP, STRING, tokenize, type LogicalLine, type Tokens } from './tokenizer';

class SyntaxProblem {
  constructor(
    readonly msg: string,
    readonly at: number,
  ) {}
}

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

const MAX_NESTING = 100;
const AUG_OPS = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '@=', '&=', '|=', '^=', '>>=', '<<=']);
const COMPARE = new Set(['<', '>', '==', '>=', '<=', '!=']);

/**
 * Parses one chunk of Python (usually one top-level statement with its comments). `numberLists: false` reads
 * nested lists of numbers with the general expression reader (for the tests: both readers give the same tree).
 */
export function parseChunk(text: string, options: { readonly numberLists?: boolean } = {}): ParsedChunk {
  const toks = tokenize(text);
  const p = new Parser(toks, options.numberLists ?? true);
  const body = p.suite(0, 0).stmts;
  return {
    text,
    body,
    comments: toks.comments,
    logical: toks.lines.map((l) => ({ line: l.line, lastLine: l.end > l.first ? toks.line[l.end - 1] : l.line })),
  };
}

/** Parses an expression on its own (an `as` clause, a typed argument), offsets relative to `text`. */
export function parseExpression(text: string): Expr {
  const toks = tokenize(text);
  const p = new Parser(toks);
  if (toks.lines.length !== 1) throw new Error(toks.lines.length === 0 ? 'empty expression' : 'more than one line');
  return p.standalone(toks.lines[0]);
}

class Parser {
  private i = 0;
  private end = 0;
  /** set while reading a function body: a `yield` makes it a generator */
  private sawYield = false;
  private nesting = 0;

  constructor(
    private readonly t: Tokens,
    private readonly numberLists = true,
  ) {}

  // ---------------------------------------------------------------------------------------------------
  // Tokens

  private text(k: number): string {
    return this.t.src.slice(this.t.start[k], this.t.end[k]);
  }
  private isOp(k: number, op: string): boolean {
    return (
      k < this.end &&
      this.t.kind[k] === OP &&
      this.t.end[k] - this.t.start[k] === op.length &&
      this.t.src.startsWith(op, this.t.start[k])
    );
  }
  private isKw(k: number, word: string): boolean {
    return (
      k < this.end &&
      this.t.kind[k] === NAME &&
      this.t.end[k] - this.t.start[k] === word.length &&
      this.t.src.startsWith(word, this.t.start[k])
    );
  }
  private at(op: string): boolean {
    return this.isOp(this.i, op);
  }
  private atKw(word: string): boolean {
    return this.isKw(this.i, word);
  }
  private eat(op: string): boolean {
    if (this.at(op)) {
      this.i++;
      return true;
    }
    return false;
  }
  private eatKw(word: string): boolean {
    if (this.atKw(word)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(op: string): void {
    if (!this.eat(op)) this.fail(`expected '${op}'`);
  }
  private fail(msg: string): never {
    throw new SyntaxProblem(msg, this.i);
  }
  private name(): string {
    if (this.i >= this.end || this.t.kind[this.i] !== NAME || KEYWORDS.has(this.text(this.i)))
      this.fail('expected a name');
    return this.text(this.i++);
  }
  private pos(from: number, to = this.i - 1): Pos {
    const t = this.t;
    const a = Math.min(from, t.count - 1);
    const b = Math.max(Math.min(to, t.count - 1), a);
    return { s: t.start[a], e: t.end[b], ln: t.line[a] };
  }
  private done(): boolean {
    return this.i >= this.end;
  }

  // ---------------------------------------------------------------------------------------------------
  // Statements

  /** The statements of the lines from `li` on at exactly `indent`; stops at the first line indented less. */
  suite(li: number, indent: number): { stmts: Stmt[]; next: number } {
    const lines = this.t.lines;
    const stmts: Stmt[] = [];
    while (li < lines.length && lines[li].indent >= indent) {
      const ln = lines[li];
      if (ln.indent > indent) {
        // an unexpected indent: the lines belong to nothing
        const from = li;
        while (li < lines.length && lines[li].indent > indent) li++;
        stmts.push(this.errorAt(lines[from], lines[li - 1], 'unexpected indent'));
        continue;
      }
      const r = this.statement(li);
      stmts.push(...r.stmts);
      li = r.next;
    }
    return { stmts, next: li };
  }

  private errorAt(first: LogicalLine, last: LogicalLine, msg: string, binds?: string): Stmt {
    const t = this.t;
    const endTok = Math.max(last.end - 1, last.first);
    return {
      k: 'error',
      msg,
      ...(binds ? { binds } : {}),
      s: t.start[first.first],
      e: t.end[endTok],
      ln: first.line,
    };
  }

  /** One statement starting at line `li` (a simple line, or a compound statement with its blocks). */
  private statement(li: number): { stmts: Stmt[]; next: number } {
    const lines = this.t.lines;
    const ln = lines[li];
    this.i = ln.first;
    this.end = ln.end;
    const head = this.text(ln.first);
    try {
      if (this.t.kind[ln.first] === OP && head === '@') return this.decorated(li);
      if (this.t.kind[ln.first] === NAME) {
        switch (head) {
          case 'if':
            return this.ifStmt(li);
          case 'for':
            return this.forStmt(li);
          case 'while':
            return this.whileStmt(li);
          case 'def':
            return this.defStmt(li, []);
          case 'class':
            return this.classStmt(li, []);
          case 'try':
            return this.tryStmt(li);
          case 'with':
            return this.withStmt(li);
          case 'async':
            return { stmts: [this.errorAt(ln, ln, 'async code is not followed')], next: this.skipBlock(li) };
          case 'elif':
          case 'else':
          case 'except':
          case 'finally':
            return {
              stmts: [this.errorAt(ln, ln, `'${head}' without a statement before it`)],
              next: this.skipBlock(li),
            };
        }
      }
      return { stmts: this.simpleLine(), next: li + 1 };
    } catch (e) {
      if (!(e instanceof SyntaxProblem)) throw e;
      // a broken header still takes its block with it; a broken def/class still binds its name
      const binds =
        (head === 'def' || head === 'class') && this.t.kind[ln.first + 1] === NAME
          ? this.text(ln.first + 1)
          : undefined;
      const next = this.skipBlock(li);
      return {
        stmts: [this.errorAt(ln, lines[next - 1], `syntax error: ${e.msg}`, binds)],
        next,
      };
    }
  }

  /** The index after the block that belongs to line `li` (the deeper-indented lines after it). */
  private skipBlock(li: number): number {
    const lines = this.t.lines;
    const base = lines[li].indent;
    let k = li + 1;
    while (k < lines.length && lines[k].indent > base) k++;
    return k;
  }

  private simpleLine(): Stmt[] {
    const out: Stmt[] = [];
    while (!this.done()) {
      out.push(this.simple());
      if (!this.eat(';')) break;
    }
    if (!this.done()) this.fail(`unexpected '${this.text(this.i)}'`);
    return out;
  }

  private simple(): Stmt {
    const from = this.i;
    const kw = this.t.kind[this.i] === NAME ? this.text(this.i) : '';
    switch (kw) {
      case 'pass':
      case 'break':
      case 'continue':
        this.i++;
        return { k: kw, ...this.pos(from) };
      case 'return': {
        this.i++;
        const value = this.atEndOfSimple() ? undefined : this.exprList();
        return { k: 'return', ...(value ? { value } : {}), ...this.pos(from) };
      }
      case 'raise': {
        this.i++;
        const exc = this.atEndOfSimple() ? undefined : this.test();
        if (exc && this.eatKw('from')) this.test();
        return { k: 'raise', ...(exc ? { exc } : {}), ...this.pos(from) };
      }
      case 'global':
      case 'nonlocal': {
        this.i++;
        const names = [this.name()];
        while (this.eat(',')) names.push(this.name());
        return { k: kw, names, ...this.pos(from) };
      }
      case 'assert': {
        this.i++;
        const test = this.test();
        const msg = this.eat(',') ? this.test() : undefined;
        return { k: 'assert', test, ...(msg ? { msg } : {}), ...this.pos(from) };
      }
      case 'del': {
        this.i++;
        const targets = [this.orExpr()];
        while (this.eat(',') && !this.atEndOfSimple()) targets.push(this.orExpr());
        return { k: 'del', targets, ...this.pos(from) };
      }
      case 'import': {
        this.i++;
        const names: { name: string; as?: string }[] = [];
        do {
          const name = this.dotted();
          const as = this.eatKw('as') ? this.name() : undefined;
          names.push({ name, ...(as ? { as } : {}) });
        } while (this.eat(','));
        return { k: 'import', names, ...this.pos(from) };
      }
      case 'from': {
        this.i++;
        let level = 0;
        for (;;) {
          if (this.eat('.')) level++;
          else if (this.eat('...')) level += 3;
          else break;
        }
        const module = this.atKw('import') ? '' : this.dotted();
        if (!this.eatKw('import')) this.fail("expected 'import'");
        if (this.eat('*')) return { k: 'from', module, level, ...this.pos(from) };
        const paren = this.eat('(');
        const names: { name: string; as?: string }[] = [];
        do {
          if (paren && this.at(')')) break;
          const name = this.name();
          const as = this.eatKw('as') ? this.name() : undefined;
          names.push({ name, ...(as ? { as } : {}) });
        } while (this.eat(','));
        if (paren) this.expect(')');
        return { k: 'from', module, level, names, ...this.pos(from) };
      }
    }
    // expression statement, assignment, augmented or annotated assignment
    const first = this.exprListOrStar();
    if (this.eat(':')) {
      this.test(); // the annotation: not evaluated
      const value = this.eat('=') ? this.exprListOrYield() : undefined;
      return { k: 'ann', target: first, ...(value ? { value } : {}), ...this.pos(from) };
    }
    if (this.i < this.end && this.t.kind[this.i] === OP && AUG_OPS.has(this.text(this.i))) {
      const op = this.text(this.i++).slice(0, -1);
      const value = this.exprListOrYield();
      return { k: 'aug', target: first, op, value, ...this.pos(from) };
    }
    if (this.at('=')) {
      const targets = [first];
      let value: Expr = first;
      while (this.eat('=')) {
        value = this.exprListOrYield();
        targets.push(value);
      }
      targets.pop();
      return { k: 'assign', targets, value, ...this.pos(from) };
    }
    return { k: 'expr', x: first, ...this.pos(from) };
  }

  private atEndOfSimple(): boolean {
    return this.done() || this.at(';');
  }

  private dotted(): string {
    let name = this.name();
    while (this.eat('.')) name += `.${this.name()}`;
    return name;
  }

  /** The statements after a compound header's ':' — on the same line, or the indented block below. */
  private body(li: number): { stmts: Stmt[]; next: number } {
    this.expect(':');
    if (!this.done()) {
      const stmts = this.simpleLine();
      return { stmts, next: li + 1 };
    }
    const lines = this.t.lines;
    const next = li + 1;
    if (next >= lines.length || lines[next].indent <= lines[li].indent) this.fail('expected an indented block');
    return this.suite(next, lines[next].indent);
  }

  /** Positions the cursor on line `li` when it continues the statement at `indent` with `word`. */
  private continuation(li: number, indent: number, word: string): boolean {
    const lines = this.t.lines;
    if (li >= lines.length || lines[li].indent !== indent) return false;
    this.i = lines[li].first;
    this.end = lines[li].end;
    return this.isKw(this.i, word);
  }

  private ifStmt(li: number): { stmts: Stmt[]; next: number } {
    const lines = this.t.lines;
    const indent = lines[li].indent;
    const from = this.i;
    this.i++; // if / elif
    const test = this.namedTest();
    const head = this.pos(from);
    const body = this.body(li);
    let next = body.next;
    let orelse: Stmt[] = [];
    if (this.continuation(next, indent, 'elif')) {
      const r = this.ifStmt(next);
      orelse = r.stmts;
      next = r.next;
    } else if (this.continuation(next, indent, 'else')) {
      this.i++;
      const r = this.body(next);
      orelse = r.stmts;
      next = r.next;
    }
    return { stmts: [{ k: 'if', test, body: body.stmts, orelse, ...head }], next };
  }

  private forStmt(li: number): { stmts: Stmt[]; next: number } {
    const indent = this.t.lines[li].indent;
    const from = this.i++;
    const target = this.targetList();
    if (!this.eatKw('in')) this.fail("expected 'in'");
    const iter = this.exprList();
    const head = this.pos(from);
    const body = this.body(li);
    let next = body.next;
    let orelse: Stmt[] = [];
    if (this.continuation(next, indent, 'else')) {
      this.i++;
      const r = this.body(next);
      orelse = r.stmts;
      next = r.next;
    }
    return { stmts: [{ k: 'for', target, iter, body: body.stmts, orelse, ...head }], next };
  }

  private whileStmt(li: number): { stmts: Stmt[]; next: number } {
    const indent = this.t.lines[li].indent;
    const from = this.i++;
    const test = this.namedTest();
    const head = this.pos(from);
    const body = this.body(li);
    let next = body.next;
    let orelse: Stmt[] = [];
    if (this.continuation(next, indent, 'else')) {
      this.i++;
      const r = this.body(next);
      orelse = r.stmts;
      next = r.next;
    }
    return { stmts: [{ k: 'while', test, body: body.stmts, orelse, ...head }], next };
  }

  private tryStmt(li: number): { stmts: Stmt[]; next: number } {
    const indent = this.t.lines[li].indent;
    const from = this.i++;
    const head = this.pos(from);
    const body = this.body(li);
    let next = body.next;
    const handlers: Handler[] = [];
    let orelse: Stmt[] = [];
    let final: Stmt[] = [];
    while (this.continuation(next, indent, 'except')) {
      this.i++;
      let type: Expr | undefined;
      let name: string | undefined;
      if (!this.at(':')) {
        this.eat('*');
        type = this.test();
        if (this.eatKw('as')) name = this.name();
      }
      const r = this.body(next);
      handlers.push({ ...(type ? { type } : {}), ...(name ? { name } : {}), body: r.stmts });
      next = r.next;
    }
    if (this.continuation(next, indent, 'else')) {
      this.i++;
      const r = this.body(next);
      orelse = r.stmts;
      next = r.next;
    }
    if (this.continuation(next, indent, 'finally')) {
      this.i++;
      const r = this.body(next);
      final = r.stmts;
      next = r.next;
    }
    return { stmts: [{ k: 'try', body: body.stmts, handlers, orelse, final, ...head }], next };
  }

  private withStmt(li: number): { stmts: Stmt[]; next: number } {
    const from = this.i++;
    const items: { ctx: Expr; target?: Expr }[] = [];
    const paren = this.at('(') && this.parenthesisedWithItems();
    if (paren) this.i++;
    do {
      if (paren && this.at(')')) break;
      const ctx = this.test();
      const target = this.eatKw('as') ? this.target() : undefined;
      items.push({ ctx, ...(target ? { target } : {}) });
    } while (this.eat(','));
    if (paren) this.expect(')');
    const head = this.pos(from);
    const body = this.body(li);
    return { stmts: [{ k: 'with', items, body: body.stmts, ...head }], next: body.next };
  }

  /** `with (a as b, c as d):` — a parenthesised item list, told apart from a parenthesised expression. */
  private parenthesisedWithItems(): boolean {
    let depth = 0;
    for (let k = this.i; k < this.end; k++) {
      if (this.t.kind[k] !== OP && this.t.kind[k] !== NAME) continue;
      const x = this.text(k);
      if (x === '(' || x === '[' || x === '{') depth++;
      else if (x === ')' || x === ']' || x === '}') {
        depth--;
        if (depth === 0) return this.isOp(k + 1, ':');
      } else if (depth === 1 && x === 'as') return true;
    }
    return false;
  }

  private decorated(li: number): { stmts: Stmt[]; next: number } {
    const lines = this.t.lines;
    const decorators: Expr[] = [];
    let k = li;
    while (k < lines.length && lines[k].indent === lines[li].indent) {
      this.i = lines[k].first;
      this.end = lines[k].end;
      if (!this.eat('@')) break;
      decorators.push(this.namedTest());
      if (!this.done()) this.fail('unexpected text after a decorator');
      k++;
    }
    if (k >= lines.length || lines[k].indent !== lines[li].indent)
      this.fail('a decorator must come before def or class');
    if (this.atKw('def')) return this.defStmt(k, decorators);
    if (this.atKw('class')) return this.classStmt(k, decorators);
    return this.fail('a decorator must come before def or class');
  }

  private defStmt(li: number, decorators: Expr[]): { stmts: Stmt[]; next: number } {
    const from = this.i++;
    const name = this.name();
    this.expect('(');
    const params = this.params(')');
    this.expect(')');
    if (this.eat('->')) this.test();
    const head = this.pos(from);
    const outer = this.sawYield;
    this.sawYield = false;
    const body = this.body(li);
    const generator = this.sawYield;
    this.sawYield = outer;
    return { stmts: [{ k: 'def', name, params, body: body.stmts, decorators, generator, ...head }], next: body.next };
  }

  private classStmt(li: number, decorators: Expr[]): { stmts: Stmt[]; next: number } {
    const from = this.i++;
    const name = this.name();
    let bases: CallArg[] = [];
    if (this.eat('(')) {
      bases = this.callArgs();
      this.expect(')');
    }
    const head = this.pos(from);
    const body = this.body(li);
    return { stmts: [{ k: 'class', name, bases, body: body.stmts, decorators, ...head }], next: body.next };
  }

  /** Parameters up to `close` (')' for def, ':' for lambda), with annotations skipped. */
  private params(close: string): Param[] {
    const out: Param[] = [];
    let kwonly = false;
    const annotated = close === ')';
    while (!this.at(close) && !this.done()) {
      if (this.eat('/')) {
        // positional-only marker: the parameters before it stay positional
      } else if (this.eat('**')) {
        const name = this.name();
        if (annotated && this.eat(':')) this.test();
        out.push({ name, kind: 'kwarg' });
      } else if (this.eat('*')) {
        if (this.at(',') || this.at(close)) kwonly = true;
        else {
          const name = this.name();
          if (annotated && this.eat(':')) this.test();
          out.push({ name, kind: 'vararg' });
          kwonly = true;
        }
      } else {
        const name = this.name();
        if (annotated && this.eat(':')) this.test();
        const dflt = this.eat('=') ? this.test() : undefined;
        out.push({ name, kind: kwonly ? 'kwonly' : 'pos', ...(dflt ? { default: dflt } : {}) });
      }
      if (!this.eat(',')) break;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------------
  // Expressions

  /** The whole logical line as one expression (for `as` clauses and similar). */
  standalone(ln: LogicalLine): Expr {
    this.i = ln.first;
    this.end = ln.end;
    try {
      const e = this.exprList();
      if (!this.done()) this.fail(`unexpected '${this.text(this.i)}'`);
      return e;
    } catch (err) {
      if (err instanceof SyntaxProblem) throw new Error(err.msg, { cause: err });
      throw err;
    }
  }

  /** `a, b, *c` as a target or an expression list; a single item stays itself. */
  private exprListOrStar(): Expr {
    return this.exprList(true);
  }

  private exprListOrYield(): Expr {
    if (this.atKw('yield')) return this.yieldExpr();
    return this.exprList(true);
  }

  private yieldExpr(): Expr {
    const from = this.i++;
    this.sawYield = true;
    this.eatKw('from');
    if (!this.atEndOfSimple() && !this.at(')')) this.exprList();
    return { k: 'error', msg: 'yield is not followed', ...this.pos(from) };
  }

  private exprList(allowStar = true): Expr {
    const from = this.i;
    const first = this.starOrTest(allowStar);
    if (!this.at(',')) return first;
    const items = [first];
    while (this.eat(',')) {
      if (this.exprEnds()) break;
      items.push(this.starOrTest(allowStar));
    }
    return { k: 'tuple', items, ...this.pos(from) };
  }

  /** After a trailing comma: the list ends here. */
  private exprEnds(): boolean {
    if (this.done()) return true;
    if (this.t.kind[this.i] === OP) {
      const x = this.text(this.i);
      return x === ')' || x === ']' || x === '}' || x === '=' || x === ':' || x === ';' || AUG_OPS.has(x);
    }
    return this.atKw('in') || this.atKw('for');
  }

  private starOrTest(allowStar: boolean): Expr {
    if (allowStar && this.at('*')) {
      const from = this.i++;
      const x = this.orExpr();
      return { k: 'star', x, ...this.pos(from) };
    }
    return this.namedTest();
  }

  private targetList(): Expr {
    const from = this.i;
    const first = this.target();
    if (!this.at(',')) return first;
    const items = [first];
    while (this.eat(',')) {
      if (this.atKw('in') || this.at('=') || this.done()) break;
      items.push(this.target());
    }
    return { k: 'tuple', items, ...this.pos(from) };
  }

  private target(): Expr {
    if (this.at('*')) {
      const from = this.i++;
      const x = this.orExpr();
      return { k: 'star', x, ...this.pos(from) };
    }
    return this.orExpr();
  }

  private namedTest(): Expr {
    const from = this.i;
    if (this.t.kind[this.i] === NAME && this.isOp(this.i + 1, ':=')) {
      const target = this.name();
      this.i++;
      const value = this.test();
      return { k: 'walrus', target, value, ...this.pos(from) };
    }
    return this.test();
  }

  private test(): Expr {
    if (this.atKw('lambda')) return this.lambda();
    const from = this.i;
    const body = this.orTest();
    if (this.atKw('if') && !this.isComprehensionIf()) {
      this.i++;
      const test = this.orTest();
      if (!this.eatKw('else')) this.fail("expected 'else'");
      const orelse = this.test();
      return { k: 'ifexp', test, body, orelse, ...this.pos(from) };
    }
    return body;
  }

  /** `[x for x in y if c]`: that `if` belongs to the comprehension, not to a conditional expression. */
  private isComprehensionIf(): boolean {
    return false;
  }

  private lambda(): Expr {
    const from = this.i++;
    const params = this.params(':');
    this.expect(':');
    const body = this.test();
    return { k: 'lambda', params, body, ...this.pos(from) };
  }

  private orTest(): Expr {
    const from = this.i;
    let l = this.andTest();
    while (this.eatKw('or')) {
      const r = this.andTest();
      l = { k: 'bool', op: 'or', l, r, ...this.pos(from) };
    }
    return l;
  }

  private andTest(): Expr {
    const from = this.i;
    let l = this.notTest();
    while (this.eatKw('and')) {
      const r = this.notTest();
      l = { k: 'bool', op: 'and', l, r, ...this.pos(from) };
    }
    return l;
  }

  private notTest(): Expr {
    if (this.atKw('not')) {
      const from = this.i++;
      const x = this.notTest();
      return { k: 'un', op: 'not', x, ...this.pos(from) };
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const from = this.i;
    const first = this.orExpr();
    const ops: string[] = [];
    const xs: Expr[] = [first];
    for (;;) {
      let op: string | undefined;
      if (this.i < this.end && this.t.kind[this.i] === OP && COMPARE.has(this.text(this.i))) op = this.text(this.i++);
      else if (this.atKw('in')) {
        this.i++;
        op = 'in';
      } else if (this.atKw('not') && this.isKw(this.i + 1, 'in')) {
        this.i += 2;
        op = 'not in';
      } else if (this.atKw('is')) {
        this.i++;
        op = this.eatKw('not') ? 'is not' : 'is';
      }
      if (!op) break;
      ops.push(op);
      xs.push(this.orExpr());
    }
    return ops.length === 0 ? first : { k: 'cmp', ops, xs, ...this.pos(from) };
  }

  private binary(next: () => Expr, ops: readonly string[]): Expr {
    const from = this.i;
    let l = next();
    for (;;) {
      if (this.i >= this.end || this.t.kind[this.i] !== OP) break;
      const op = this.text(this.i);
      if (!ops.includes(op)) break;
      this.i++;
      const r = next();
      l = { k: 'bin', op, l, r, ...this.pos(from) };
    }
    return l;
  }

  orExpr(): Expr {
    return this.binary(() => this.xorExpr(), ['|']);
  }
  private xorExpr(): Expr {
    return this.binary(() => this.andExpr(), ['^']);
  }
  private andExpr(): Expr {
    return this.binary(() => this.shiftExpr(), ['&']);
  }
  private shiftExpr(): Expr {
    return this.binary(() => this.arith(), ['<<', '>>']);
  }
  private arith(): Expr {
    return this.binary(() => this.term(), ['+', '-']);
  }
  private term(): Expr {
    return this.binary(() => this.factor(), ['*', '/', '//', '%', '@']);
  }

  private factor(): Expr {
    if (this.at('-') || this.at('+') || this.at('~')) {
      const from = this.i;
      const op = this.text(this.i++);
      const x = this.factor();
      // -3 is a literal, so that a quick fix can find it
      if (op === '-' && x.k === 'num') return { ...x, v: -x.v, ...this.pos(from) };
      return { k: 'un', op, x, ...this.pos(from) };
    }
    return this.power();
  }

  private power(): Expr {
    const from = this.i;
    if (this.atKw('await')) this.i++;
    const base = this.primary();
    if (this.eat('**')) {
      const r = this.factor();
      return { k: 'bin', op: '**', l: base, r, ...this.pos(from) };
    }
    return base;
  }

  private primary(): Expr {
    const from = this.i;
    let x = this.atom();
    for (;;) {
      if (this.eat('.')) {
        const name = this.name();
        x = { k: 'attr', obj: x, name, ...this.pos(from) };
      } else if (this.at('(')) {
        this.i++;
        const args = this.callArgs();
        this.expect(')');
        x = { k: 'call', fn: x, args, ...this.pos(from) };
      } else if (this.at('[')) {
        this.i++;
        const index = this.subscript();
        this.expect(']');
        x = { k: 'sub', obj: x, index, ...this.pos(from) };
      } else break;
    }
    return x;
  }

  private subscript(): Expr {
    const from = this.i;
    const first = this.sliceItem();
    if (!this.at(',')) return first;
    const items = [first];
    while (this.eat(',')) {
      if (this.at(']')) break;
      items.push(this.sliceItem());
    }
    return { k: 'tuple', items, ...this.pos(from) };
  }

  private sliceItem(): Expr {
    const from = this.i;
    if (this.at('*')) return this.starOrTest(true);
    const lo = this.at(':') ? undefined : this.namedTest();
    if (!this.at(':')) return lo!;
    this.i++;
    const hi = this.at(':') || this.at(']') || this.at(',') ? undefined : this.test();
    let step: Expr | undefined;
    if (this.eat(':')) step = this.at(']') || this.at(',') ? undefined : this.test();
    return {
      k: 'slice',
      ...(lo ? { lo } : {}),
      ...(hi ? { hi } : {}),
      ...(step ? { step } : {}),
      ...this.pos(from),
    };
  }

  private callArgs(): CallArg[] {
    const args: CallArg[] = [];
    while (!this.at(')') && !this.done()) {
      if (this.eat('**')) args.push({ kind: 'dstar', value: this.test() });
      else if (this.eat('*')) args.push({ kind: 'star', value: this.test() });
      else if (this.t.kind[this.i] === NAME && this.isOp(this.i + 1, '=')) {
        const name = this.text(this.i);
        this.i += 2;
        args.push({ kind: 'kw', name, value: this.test() });
      } else {
        const from = this.i;
        const value = this.namedTest();
        if (this.atKw('for')) {
          // a generator expression as the only argument: f(x for x in y)
          args.push({ kind: 'pos', value: this.comprehension('gen', value, undefined, from) });
        } else args.push({ kind: 'pos', value });
      }
      if (!this.eat(',')) break;
    }
    return args;
  }

  private comprehension(kind: 'list' | 'set' | 'gen' | 'dict', elt: Expr, value: Expr | undefined, from: number): Expr {
    const gens: Generator[] = [];
    while (this.eatKw('for')) {
      const target = this.targetList();
      if (!this.eatKw('in')) this.fail("expected 'in'");
      const iter = this.orTest();
      const ifs: Expr[] = [];
      while (this.atKw('if')) {
        this.i++;
        ifs.push(this.orTestNoCond());
      }
      gens.push({ target, iter, ifs });
    }
    return { k: 'comp', kind, elt, ...(value ? { value } : {}), gens, ...this.pos(from) };
  }

  /** The condition of a comprehension's `if`: a full test (a conditional expression needs parentheses there). */
  private orTestNoCond(): Expr {
    return this.orTest();
  }

  private atom(): Expr {
    if (this.done()) this.fail('unexpected end of line');
    // brackets nested this deep are not model code; the limit keeps the parser's recursion (and the interpreter's) bounded
    if (++this.nesting > MAX_NESTING) this.fail(`brackets nested deeper than ${MAX_NESTING}`);
    try {
      return this.atomInner();
    } finally {
      this.nesting--;
    }
  }

  private atomInner(): Expr {
    const from = this.i;
    const kind = this.t.kind[this.i];
    const txt = this.text(this.i);
    if (kind === NUMBER) {
      this.i++;
      const num = parseNumber(txt);
      if (num === undefined) return { k: 'error', msg: `the number ${txt} is not followed`, ...this.pos(from) };
      return { k: 'num', v: num.v, float: num.float, ...this.pos(from) };
    }
    if (kind === STRING) return this.strings();
    if (kind === NAME) {
      this.i++;
      if (txt === 'True') return { k: 'const', v: true, ...this.pos(from) };
      if (txt === 'False') return { k: 'const', v: false, ...this.pos(from) };
      if (txt === 'None') return { k: 'const', v: null, ...this.pos(from) };
      if (txt === 'yield') {
        this.i--;
        return this.yieldExpr();
      }
      if (KEYWORDS.has(txt)) {
        this.i--;
        this.fail(`unexpected '${txt}'`);
      }
      return { k: 'name', id: txt, ...this.pos(from) };
    }
    // brackets
    if (txt === '...') {
      this.i++;
      return { k: 'const', v: 'ellipsis', ...this.pos(from) };
    }
    if (txt === '(') {
      this.i++;
      if (this.eat(')')) return { k: 'tuple', items: [], ...this.pos(from) };
      if (this.atKw('yield')) {
        const y = this.yieldExpr();
        this.expect(')');
        return y;
      }
      const first = this.starOrTest(true);
      if (this.atKw('for')) {
        const g = this.comprehension('gen', first, undefined, from);
        this.expect(')');
        return { ...g, ...this.pos(from) };
      }
      if (this.eat(')')) {
        // (x) is x, but keep the parentheses in its range so that hints and edits land outside them
        return first.k === 'star' ? { k: 'tuple', items: [first], ...this.pos(from) } : first;
      }
      const items = [first];
      while (this.eat(',')) {
        if (this.at(')')) break;
        items.push(this.starOrTest(true));
      }
      this.expect(')');
      return { k: 'tuple', items, ...this.pos(from) };
    }
    if (txt === '[') {
      const numbers = this.numberLists ? this.numberList(from) : undefined;
      if (numbers) return numbers;
      this.i++;
      if (this.eat(']')) return { k: 'list', items: [], ...this.pos(from) };
      const first = this.starOrTest(true);
      if (this.atKw('for')) {
        const c = this.comprehension('list', first, undefined, from);
        this.expect(']');
        return { ...c, ...this.pos(from) };
      }
      const items = [first];
      while (this.eat(',')) {
        if (this.at(']')) break;
        items.push(this.starOrTest(true));
      }
      this.expect(']');
      return listDisplay(items, this.pos(from));
    }
    if (txt === '{') {
      this.i++;
      if (this.eat('}')) return { k: 'dict', items: [], ...this.pos(from) };
      if (this.at('**')) return this.dictRest(from, []);
      const first = this.starOrTest(true);
      if (this.eat(':')) {
        const value = this.test();
        if (this.atKw('for')) {
          const c = this.comprehension('dict', first, value, from);
          this.expect('}');
          return { ...c, ...this.pos(from) };
        }
        const items: DictItem[] = [{ key: first, value }];
        if (!this.eat(',')) {
          this.expect('}');
          return { k: 'dict', items, ...this.pos(from) };
        }
        return this.dictRest(from, items);
      }
      if (this.atKw('for')) {
        const c = this.comprehension('set', first, undefined, from);
        this.expect('}');
        return { ...c, ...this.pos(from) };
      }
      const items = [first];
      while (this.eat(',')) {
        if (this.at('}')) break;
        items.push(this.starOrTest(true));
      }
      this.expect('}');
      return { k: 'set', items, ...this.pos(from) };
    }
    return this.fail(`unexpected '${txt}'`);
  }

  /**
   * A nested list of numbers (`[[1, -2.5], [3, 4]]`, a tensor printed into the file), read in one loop: the
   * general reader descends fifteen levels of precedence for each number, which for a 1×64×56×56 literal held
   * the extension host's thread for a second. The tree is the same as the general reader's; anything else in
   * the brackets (a name, an operator, a comprehension) returns undefined with the position untouched.
   */
  private numberList(from: number): Expr | undefined {
    const open: { from: number; items: Expr[] }[] = [];
    let k = from;
    let expectItem = true;
    for (; k < this.end;) {
      if (this.isOp(k, '[')) {
        if (!expectItem) return undefined;
        open.push({ from: k, items: [] });
        k++;
        continue;
      }
      const top = open.at(-1);
      if (!top) return undefined;
      if (this.isOp(k, ']')) {
        // `[]` and `[1, 2,]` are lists; `[1, , 2]` and `[,]` are not (the comma case is caught below)
        open.pop();
        const list = listDisplay(top.items, this.pos(top.from, k));
        const parent = open.at(-1);
        if (!parent) {
          this.i = k + 1;
          return list;
        }
        parent.items.push(list);
        k++;
        expectItem = false;
        continue;
      }
      if (this.isOp(k, ',')) {
        if (expectItem) return undefined;
        expectItem = true;
        k++;
        continue;
      }
      if (!expectItem) return undefined;
      const negative = this.isOp(k, '-');
      const at = negative ? k + 1 : k;
      if (at >= this.end || this.t.kind[at] !== NUMBER) return undefined;
      const num = parseNumber(this.text(at));
      if (num === undefined) return undefined;
      top.items.push({ k: 'num', v: negative ? -num.v : num.v, float: num.float, ...this.pos(k, at) });
      k = at + 1;
      expectItem = false;
    }
    return undefined;
  }

  private dictRest(from: number, items: DictItem[]): Expr {
    while (!this.at('}') && !this.done()) {
      if (this.eat('**')) items.push({ spread: this.orExpr() });
      else {
        const key = this.test();
        this.expect(':');
        items.push({ key, value: this.test() });
      }
      if (!this.eat(',')) break;
    }
    this.expect('}');
    return { k: 'dict', items, ...this.pos(from) };
  }

  /** Adjacent string literals are one string; bytes and f-strings keep their own kinds. */
  private strings(): Expr {
    const from = this.i;
    const parts: (string | FormatField)[] = [];
    let fstring = false;
    let bytes = false;
    while (this.i < this.end && this.t.kind[this.i] === STRING) {
      const raw = this.text(this.i);
      const offset = this.t.start[this.i];
      this.i++;
      const m = /^([A-Za-z]*)('''|"""|'|")/.exec(raw)!;
      const prefix = m[1].toLowerCase();
      const q = m[2];
      const closed = raw.length >= m[0].length + q.length && raw.endsWith(q);
      if (!closed) this.fail('unterminated string');
      const body = raw.slice(m[0].length, raw.length - q.length);
      const isRaw = prefix.includes('r');
      if (prefix.includes('b')) bytes = true;
      if (prefix.includes('f')) {
        fstring = true;
        parts.push(...this.formatParts(body, offset + m[0].length, isRaw));
      } else parts.push(isRaw ? body : unescape(body));
    }
    const pos = this.pos(from);
    if (bytes) return { k: 'bytes', ...pos };
    if (!fstring) return { k: 'str', v: (parts as string[]).join(''), ...pos };
    return { k: 'fstr', parts: mergeStrings(parts), ...pos };
  }

  /** The literal text and `{expr!r:spec}` fields of an f-string body that starts at `offset`. */
  private formatParts(body: string, offset: number, isRaw: boolean): (string | FormatField)[] {
    const out: (string | FormatField)[] = [];
    let text = '';
    let k = 0;
    while (k < body.length) {
      const c = body[k];
      if (c === '{' && body[k + 1] === '{') {
        text += '{';
        k += 2;
        continue;
      }
      if (c === '}' && body[k + 1] === '}') {
        text += '}';
        k += 2;
        continue;
      }
      if (c !== '{') {
        text += c;
        k++;
        continue;
      }
      if (text) out.push(isRaw ? text : unescape(text));
      text = '';
      // the field: up to the matching '}', with ! and : at depth 0 splitting conversion and spec
      let depth = 0;
      let j = k + 1;
      let exprEnd = -1;
      let conv: string | undefined;
      let specStart = -1;
      let quote = '';
      for (; j < body.length; j++) {
        const d = body[j];
        if (quote) {
          if (d === quote) quote = '';
          continue;
        }
        if (d === "'" || d === '"') quote = d;
        else if (d === '(' || d === '[' || d === '{') depth++;
        else if ((d === ')' || d === ']') && depth > 0) depth--;
        else if (d === '}') {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && d === '!' && body[j + 1] !== '=' && exprEnd < 0) {
          exprEnd = j;
          conv = body[j + 1];
          j++;
        } else if (depth === 0 && d === ':' && specStart < 0) {
          if (exprEnd < 0) exprEnd = j;
          specStart = j + 1;
          break;
        }
      }
      let close = j;
      if (specStart >= 0) {
        // the spec runs to the '}' that closes the field (it may hold nested fields)
        let d2 = 0;
        for (close = specStart; close < body.length; close++) {
          if (body[close] === '{') d2++;
          else if (body[close] === '}') {
            if (d2 === 0) break;
            d2--;
          }
        }
      }
      if (close >= body.length) this.fail('unterminated f-string field');
      if (exprEnd < 0) exprEnd = j;
      let exprText = body.slice(k + 1, exprEnd);
      // `{x=}` shows the expression text too
      let echo = '';
      if (/=\s*$/.test(exprText) && !/[=!<>]=\s*$/.test(exprText)) {
        echo = exprText;
        exprText = exprText.replace(/=\s*$/, '');
      }
      const expr = shiftExpr(parseExpressionAt(exprText), offset + k + 1, this.t.line[this.i - 1]);
      if (echo) out.push(echo);
      const spec =
        specStart >= 0 ? this.formatParts(body.slice(specStart, close), offset + specStart, isRaw) : undefined;
      out.push({ expr, ...(conv ? { conv } : {}), ...(spec ? { spec } : {}) });
      k = close + 1;
    }
    if (text) out.push(isRaw ? text : unescape(text));
    return out;
  }
}

function parseExpressionAt(text: string): Expr {
  try {
    return parseExpression(text.trim() === '' ? 'None' : text);
  } catch (e) {
    return { k: 'error', msg: `syntax error in an f-string: ${(e as Error).message}`, s: 0, e: text.length, ln: 0 };
  }
}

/** Moves an expression parsed on its own to where it sits in the chunk. */
function shiftExpr(x: Expr, offset: number, line: number): Expr {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(o))
      out[key] = key === 's' || key === 'e' ? (o[key] as number) + offset : walk(o[key]);
    if ('ln' in o) out.ln = line;
    return out;
  };
  return walk(x) as Expr;
}

function mergeStrings(parts: (string | FormatField)[]): (string | FormatField)[] {
  const out: (string | FormatField)[] = [];
  for (const p of parts) {
    if (typeof p === 'string' && typeof out[out.length - 1] === 'string')
      out[out.length - 1] = (out[out.length - 1] as string) + p;
    else out.push(p);
  }
  return out;
}

/** A list display; one of numbers only becomes a `nums` node (both readers go through here). */
function listDisplay(items: readonly Expr[], pos: Pos): Expr {
  if (items.length === 0 || !items.every((x) => x.k === 'num')) return { k: 'list', items, ...pos };
  const values = new Float64Array(items.length);
  const floats = new Uint8Array(items.length);
  items.forEach((x, i) => {
    if (x.k !== 'num') return;
    values[i] = x.v;
    floats[i] = x.float ? 1 : 0;
  });
  return { k: 'nums', values, floats, ...pos };
}

export function parseNumber(text: string): { v: number; float: boolean } | undefined {
  const t = text.replace(/_/g, '');
  if (/[jJ]$/.test(t)) return undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return { v: parseInt(t.slice(2), 16), float: false };
  if (/^0[oO][0-7]+$/.test(t)) return { v: parseInt(t.slice(2), 8), float: false };
  if (/^0[bB][01]+$/.test(t)) return { v: parseInt(t.slice(2), 2), float: false };
  if (/^\d+$/.test(t)) {
    const v = Number(t);
    return Number.isSafeInteger(v) ? { v, float: false } : undefined;
  }
  const v = Number(t);
  return Number.isFinite(v) ? { v, float: true } : undefined;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '\n': '',
};

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.|\n)/g, (m, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? m;
  });
}
