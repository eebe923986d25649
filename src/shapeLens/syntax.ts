/**
 * The syntax tree the parser builds and the interpreter walks: the subset of Python's `ast` that model code
 * uses (all of it that matters for shapes; what is left out parses as an `error` node with the reason).
 * Every node has `s`/`e`, offsets into the text of its chunk (end exclusive), and `ln`, the 0-based line in
 * that chunk; the interpreter adds the chunk's position in the file.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */

export interface Pos {
  readonly s: number;
  readonly e: number;
  readonly ln: number;
}

export type Expr =
  | (Pos & { readonly k: 'num'; readonly v: number; readonly float: boolean })
  | (Pos & { readonly k: 'str'; readonly v: string })
  | (Pos & { readonly k: 'bytes' })
  | (Pos & { readonly k: 'fstr'; readonly parts: readonly (string | FormatField)[] })
  | (Pos & { readonly k: 'const'; readonly v: true | false | null | 'ellipsis' })
  | (Pos & { readonly k: 'name'; readonly id: string })
  | (Pos & { readonly k: 'attr'; readonly obj: Expr; readonly name: string })
  | (Pos & { readonly k: 'sub'; readonly obj: Expr; readonly index: Expr })
  | (Pos & { readonly k: 'slice'; readonly lo?: Expr; readonly hi?: Expr; readonly step?: Expr })
  | (Pos & { readonly k: 'call'; readonly fn: Expr; readonly args: readonly CallArg[] })
  | (Pos & { readonly k: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr })
  | (Pos & { readonly k: 'un'; readonly op: string; readonly x: Expr })
  | (Pos & { readonly k: 'bool'; readonly op: 'and' | 'or'; readonly l: Expr; readonly r: Expr })
  | (Pos & { readonly k: 'cmp'; readonly ops: readonly string[]; readonly xs: readonly Expr[] })
  | (Pos & { readonly k: 'ifexp'; readonly test: Expr; readonly body: Expr; readonly orelse: Expr })
  | (Pos & { readonly k: 'lambda'; readonly params: readonly Param[]; readonly body: Expr })
  | (Pos & { readonly k: 'tuple' | 'list' | 'set'; readonly items: readonly Expr[] })
  /**
   * A list display of number literals only (`[1, -2.5, 3]`, a row of a tensor printed into the file), kept as
   * two arrays instead of one node per number: a 1×64×56×56 literal was 200,704 nodes, ~30 MB held for as
   * long as the file is open. `floats[i]` is 1 where the literal is a float (`2.`, `1e3`).
   */
  | (Pos & { readonly k: 'nums'; readonly values: Float64Array; readonly floats: Uint8Array })
  | (Pos & { readonly k: 'dict'; readonly items: readonly DictItem[] })
  | (Pos & { readonly k: 'star'; readonly x: Expr })
  | (Pos & {
      readonly k: 'comp';
      readonly kind: 'list' | 'set' | 'gen' | 'dict';
      readonly elt: Expr;
      readonly value?: Expr;
      readonly gens: readonly Generator[];
    })
  | (Pos & { readonly k: 'walrus'; readonly target: string; readonly value: Expr })
  | (Pos & { readonly k: 'error'; readonly msg: string });

export interface FormatField {
  readonly expr: Expr;
  readonly conv?: string;
  readonly spec?: readonly (string | FormatField)[];
}

export type DictItem = { readonly key: Expr; readonly value: Expr } | { readonly spread: Expr };

export interface Generator {
  readonly target: Expr;
  readonly iter: Expr;
  readonly ifs: readonly Expr[];
}

export interface CallArg {
  readonly kind: 'pos' | 'star' | 'kw' | 'dstar';
  readonly name?: string;
  readonly value: Expr;
}

export interface Param {
  readonly name: string;
  readonly kind: 'pos' | 'vararg' | 'kwonly' | 'kwarg';
  readonly default?: Expr;
}

export interface Handler {
  readonly type?: Expr;
  readonly name?: string;
  readonly body: readonly Stmt[];
}

export type Stmt =
  | (Pos & { readonly k: 'expr'; readonly x: Expr })
  | (Pos & { readonly k: 'assign'; readonly targets: readonly Expr[]; readonly value: Expr })
  | (Pos & { readonly k: 'aug'; readonly target: Expr; readonly op: string; readonly value: Expr })
  | (Pos & { readonly k: 'ann'; readonly target: Expr; readonly value?: Expr })
  | (Pos & { readonly k: 'if'; readonly test: Expr; readonly body: readonly Stmt[]; readonly orelse: readonly Stmt[] })
  | (Pos & {
      readonly k: 'for';
      readonly target: Expr;
      readonly iter: Expr;
      readonly body: readonly Stmt[];
      readonly orelse: readonly Stmt[];
    })
  | (Pos & {
      readonly k: 'while';
      readonly test: Expr;
      readonly body: readonly Stmt[];
      readonly orelse: readonly Stmt[];
    })
  | (Pos & {
      readonly k: 'def';
      readonly name: string;
      readonly params: readonly Param[];
      readonly body: readonly Stmt[];
      readonly decorators: readonly Expr[];
      /** the function body contains `yield`: a generator, which the interpreter does not run */
      readonly generator: boolean;
    })
  | (Pos & {
      readonly k: 'class';
      readonly name: string;
      readonly bases: readonly CallArg[];
      readonly body: readonly Stmt[];
      readonly decorators: readonly Expr[];
    })
  | (Pos & { readonly k: 'return'; readonly value?: Expr })
  | (Pos & { readonly k: 'pass' | 'break' | 'continue' })
  | (Pos & { readonly k: 'raise'; readonly exc?: Expr })
  | (Pos & {
      readonly k: 'try';
      readonly body: readonly Stmt[];
      readonly handlers: readonly Handler[];
      readonly orelse: readonly Stmt[];
      readonly final: readonly Stmt[];
    })
  | (Pos & {
      readonly k: 'with';
      readonly items: readonly { readonly ctx: Expr; readonly target?: Expr }[];
      readonly body: readonly Stmt[];
    })
  | (Pos & { readonly k: 'import'; readonly names: readonly { readonly name: string; readonly as?: string }[] })
  | (Pos & {
      readonly k: 'from';
      readonly module: string;
      readonly level: number;
      /** undefined: `import *` */
      readonly names?: readonly { readonly name: string; readonly as?: string }[];
    })
  | (Pos & { readonly k: 'global' | 'nonlocal'; readonly names: readonly string[] })
  | (Pos & { readonly k: 'assert'; readonly test: Expr; readonly msg?: Expr })
  | (Pos & { readonly k: 'del'; readonly targets: readonly Expr[] })
  /** a statement that does not parse; a `def`/`class` whose header is broken still binds its name */
  | (Pos & { readonly k: 'error'; readonly msg: string; readonly binds?: string });

/** A top-level statement of a file, parsed once per distinct text and reused while the file is edited. */
export interface ParsedChunk {
  readonly text: string;
  readonly body: readonly Stmt[];
  /** `# conv-lens` comments in the chunk (offsets and lines in the chunk) */
  readonly comments: readonly { readonly text: string; readonly start: number; readonly line: number }[];
  /** first and last line of each logical line, for telling whether code comes between a comment and a model */
  readonly logical: readonly { readonly line: number; readonly lastLine: number }[];
}
