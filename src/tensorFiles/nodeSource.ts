/** Byte sources over a local file with range reads (node:fs): nothing is read until a reader asks. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { TensorFileError } from './errors';
import type { ByteSource, SyncByteSource } from './source';

function ioError(path: string, e: unknown): TensorFileError {
  const code = (e as { code?: string }).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder'
          : e instanceof Error
            ? e.message
            : String(e);
  return new TensorFileError('io', `cannot read ${path}: ${reason}`);
}

export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  const fh = handle;
  let size: number;
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = stat.size;
  } catch (e) {
    await fh.close();
    throw ioError(path, e);
  }
  return {
    size,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? out : out.subarray(0, done);
    },
    close: () => fh.close(),
  };
}

export function openFileSourceSync(path: string): SyncByteSource & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  let size: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = stat.size;
  } catch (e) {
    closeSync(fd);
    throw ioError(path, e);
  }
  let closed = false;
  return {
    size,
    readSync(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
