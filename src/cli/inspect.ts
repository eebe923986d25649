/**
 * Tensor files from the CLI:
 *   conv-lens inspect FILE [--json] [--no-stats] [--max-elements N]   the listing, as a table or JSON
 *   {"file": "weights.pt", "name": "conv1.weight"} wherever a request takes a nested list (fileTensorResolver)
 * Files are read synchronously through src/tensorFiles (the requests are answered synchronously); relative
 * paths are resolved against the CLI's working directory.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';
import { describe } from '../engine/tensor';
import {
  DEFAULT_MAX_ELEMENTS,
  TensorFileError,
  TensorFileSync,
  listingJson,
  listingText,
  openFileSourceSync,
  type StatsCell,
  type TensorEntry,
} from '../tensorFiles';

export const INSPECT_HELP = `  conv-lens inspect FILE [--json] [--no-stats] [--max-elements N]
      Lists the tensors of a .npy, .npz, .safetensors or PyTorch checkpoint (.pt/.pth/.ckpt written by
      torch.save): dotted name, dtype, shape, size, min/max/mean and NaN/Inf counts, the checkpoint's
      other values (epoch, learning rate). A checkpoint's pickle is never run: only tensors, storages,
      dicts, lists, tuples and numbers are read, any other Python global refuses the file. --no-stats
      reads headers only; --json for scripts. Exits 1 if the file is refused.
      In requests, a tensor may come from a file wherever a nested list is taken:
        {"op": "conv2d", "input": [[[...]]], "weight": {"file": "weights.pt", "name": "conv1.weight"}}
`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function inspectCommand(args: string[]): number {
  let values: { json?: boolean; 'no-stats'?: boolean; 'max-elements'?: string };
  let positionals: string[];
  let maxElements: number;
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, 'no-stats': { type: 'boolean' }, 'max-elements': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }));
    maxElements = positiveInt(values['max-elements'], '--max-elements') ?? DEFAULT_MAX_ELEMENTS;
  } catch (e) {
    process.stderr.write(`conv-lens inspect: ${(e as Error).message}\n`);
    return 2;
  }
  if (positionals.length !== 1) {
    process.stderr.write('conv-lens inspect: give one file, e.g. conv-lens inspect weights.pt\n');
    return 2;
  }
  const path = positionals[0];
  let file: TensorFileSync;
  try {
    file = TensorFileSync.open(openFileSourceSync(resolve(path)), {
      name: path,
      maxElements,
      limitName: '--max-elements',
    });
  } catch (e) {
    process.stderr.write(`conv-lens inspect: ${messageOf(e)}\n`);
    return 1;
  }
  try {
    const withStats = !values['no-stats'];
    const cache = new Map<string, StatsCell>();
    const statsOf = (t: TensorEntry): StatsCell => {
      if (!withStats) return null;
      let s = cache.get(t.name);
      if (s === undefined) {
        try {
          s = file.stats(t.name);
        } catch (e) {
          s = { error: messageOf(e) };
        }
        cache.set(t.name, s);
      }
      return s;
    };
    if (values.json) process.stdout.write(JSON.stringify(listingJson(file.listing, statsOf, path), null, 2) + '\n');
    else process.stdout.write(listingText(file.listing, statsOf, { fileName: path, withStats }));
    return 0;
  } finally {
    file.close();
  }
}

function messageOf(e: unknown): string {
  if (e instanceof TensorFileError) return e.message;
  return `internal error in Conv Lens (please report it): ${e instanceof Error ? e.message : String(e)}`;
}

interface CachedFile {
  readonly file: TensorFileSync;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * The request layer's hook for `{"file": "...", "name": "..."}`: reads that tensor (within the request's
 * maxElements) from the file, resolved against `cwd`. Opened files are kept (a few, by path, until they
 * change on disk), so a JSON Lines run that uses the same checkpoint on every line lists it once.
 */
export function fileTensorResolver(
  cwd = process.cwd(),
): (value: unknown, key: string, maxElements: number) => Tensor | null {
  const open = new Map<string, CachedFile>();
  const get = (path: string, shown: string): TensorFileSync => {
    const stat = statSync(path, { throwIfNoEntry: false });
    const known = open.get(path);
    if (known && stat && known.size === stat.size && known.mtimeMs === stat.mtimeMs) {
      open.delete(path);
      open.set(path, known);
      return known.file;
    }
    known?.file.close();
    open.delete(path);
    // the cap is applied per read (the request's maxElements), so the file is opened without one
    const file = TensorFileSync.open(openFileSourceSync(path), {
      name: shown,
      maxElements: Number.MAX_SAFE_INTEGER,
      limitName: '--max-elements',
    });
    open.set(path, { file, size: stat?.size ?? file.listing.fileSize, mtimeMs: stat?.mtimeMs ?? 0 });
    if (open.size > 4) {
      const [oldest, entry] = open.entries().next().value!;
      entry.file.close();
      open.delete(oldest);
    }
    return file;
  };
  return (value, key, maxElements) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !('file' in value)) return null;
    const fields = value as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => k !== 'file' && k !== 'name');
    if (unknown.length) {
      throw new EngineError(
        key,
        'file',
        `${key}: a tensor from a file is {"file": "weights.pt", "name": "conv1.weight"}; unknown field ${JSON.stringify(unknown[0])}`,
      );
    }
    const { file: fileName, name } = fields;
    if (typeof fileName !== 'string' || fileName === '') {
      throw new EngineError(key, 'file', `${key}.file must be a path (a string), got ${describe(fileName)}`);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw new EngineError(
        key,
        'file',
        `${key}.name must be a tensor's dotted name (a string), got ${describe(name)}`,
      );
    }
    try {
      const t = get(resolve(cwd, fileName), fileName).read(name, { maxElements });
      return { shape: t.shape, data: t.data };
    } catch (e) {
      throw new EngineError(key, 'file', `${key}: ${messageOf(e)}`);
    }
  };
}
