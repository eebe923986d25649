/**
 * Matrix literals in any file: Python / numpy / torch / TensorFlow lists, JSON, MATLAB / Julia, whitespace grids,
 * CSV, Markdown tables and LaTeX matrices, read into Tensors and written back. Pure TypeScript: no vscode, no Node.
 */
export type {
  FindOptions,
  FormatOptions,
  LiteralFormat,
  ParseError,
  ParseOptions,
  ParseResult,
  ParsedLiteral,
  SourceRange,
} from './types';
export { DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_SCAN, LITERAL_FORMATS, scanLimitFor } from './types';
export { parseLiteral } from './parse';
export { findLiteralAt, findLiteralInSource, type FoundInSource, type TextSource } from './find';
export { formatLiteral } from './format';
