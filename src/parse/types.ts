import type { Tensor } from '../engine/tensor';

/** The notations a matrix literal can be written in. `grid` is whitespace-separated numbers on lines. */
export type LiteralFormat =
  'python' | 'numpy' | 'torch' | 'tensorflow' | 'json' | 'matlab' | 'grid' | 'csv' | 'markdown' | 'latex';

export const LITERAL_FORMATS: readonly LiteralFormat[] = [
  'python',
  'numpy',
  'torch',
  'tensorflow',
  'json',
  'matlab',
  'grid',
  'csv',
  'markdown',
  'latex',
];

/** UTF-16 offsets into the text that was parsed; `end` is exclusive. */
export interface SourceRange {
  start: number;
  end: number;
}

export interface ParsedLiteral {
  format: LiteralFormat;
  shape: number[];
  tensor: Tensor;
  /** The whole literal, e.g. including `np.array(` … `)` or `\begin{bmatrix}` … `\end{bmatrix}`. */
  range: SourceRange;
  /** Just the bracketed / number part. */
  valuesRange: SourceRange;
  /** One range per innermost row, in row-major order. */
  rows: SourceRange[];
  /** `int` if every number was written as an integer, `bool` if all were True/False, else `float`. */
  dtype: 'int' | 'float' | 'bool';
  /** The constructor around the literal, e.g. `np.array`, `torch.tensor`; for LaTeX the environment name. */
  wrapper?: string;
  /** Things the user may want to know, e.g. that a header row was skipped. */
  notes: string[];
}

/** `line` and `column` are 0-based; the message spells them 1-based for people. */
export interface ParseError {
  message: string;
  offset: number;
  line: number;
  column: number;
  expected?: string;
  /**
   * Set when the parse stopped at a limit rather than at a mistake: 'elements' (more numbers than maxElements)
   * or 'window' (the literal goes on past the text the finder reads around the cursor, maxScanLimit).
   */
  limit?: 'elements' | 'window';
}

export type ParseResult = { ok: true; literal: ParsedLiteral } | { ok: false; error: ParseError };

export interface ParseOptions {
  /** Skip auto-detection and read the text in this notation. */
  format?: LiteralFormat;
  /** Refuse literals with more numbers than this (default 1 << 22). */
  maxElements?: number;
}

export interface FindOptions {
  maxElements?: number;
  /**
   * How far (UTF-16 units) to look before and after the offset at first (default 200 000 each way). When a
   * literal goes on past that window the search is repeated with a window four times larger, up to
   * maxScanLimit: a literal is found whole or refused, never cut.
   */
  maxScan?: number;
  /** The largest window (default: maxElements × 32 characters each way, at least maxScan). */
  maxScanLimit?: number;
  /** The text is a slice of a longer document that goes on before its start / after its end. */
  textContinuesBefore?: boolean;
  textContinuesAfter?: boolean;
}

/** Characters per element a literal may spend on average (a float64 in full with its separator is 25). */
export const SCAN_CHARS_PER_ELEMENT = 32;

/** The window a finder may grow to for a literal of at most `maxElements` elements. */
export function scanLimitFor(maxElements: number, maxScan = DEFAULT_MAX_SCAN): number {
  return Math.max(maxScan, Math.min(2 ** 28, maxElements * SCAN_CHARS_PER_ELEMENT));
}

export interface FormatOptions {
  /** Constructor for numpy/torch/tensorflow (default np.array / torch.tensor / tf.constant); environment for latex (default bmatrix). */
  wrapper?: string;
  /** Significant digits; omitted = the shortest text that reads back as the same float64. */
  precision?: number;
  /** How to spell the numbers; omitted = `int` when every value is an integer, else `float`. */
  dtype?: 'int' | 'float' | 'bool';
}

export const DEFAULT_MAX_ELEMENTS = 1 << 22;
export const DEFAULT_MAX_SCAN = 200_000;
