/**
 * The editor's byte source for a tensor file: range reads with node:fs for `file:` URIs (a 1 GB checkpoint
 * is listed from a few kilobytes), and for every other scheme (virtual workspaces, remote file systems
 * without a local path) one `vscode.workspace.fs.readFile` of the whole file, refused beforehand when the file
 * is bigger than the cap allows.
 */
import * as vscode from 'vscode';
import { TensorFileError, memorySource, openFileSource, type ByteSource } from '../tensorFiles';
import { shortBytes } from '../tensorFiles/format';

export interface TensorFileSourceOptions {
  /** the most bytes read whole when range reads are not available */
  readonly maxWholeFileBytes: number;
  /** how the cap is named in the message, e.g. "the convLens.files.maxElements setting" */
  readonly limitName: string;
}

export async function openTensorFileSource(
  uri: vscode.Uri,
  options: TensorFileSourceOptions,
): Promise<ByteSource & { close(): Promise<void> | void }> {
  if (uri.scheme === 'file') return openFileSource(uri.fsPath);
  let size: number;
  try {
    size = (await vscode.workspace.fs.stat(uri)).size;
  } catch (e) {
    throw new TensorFileError('io', `cannot read ${uri.toString(true)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (size > options.maxWholeFileBytes) {
    throw new TensorFileError(
      'too_large',
      `${uri.toString(true)} is ${shortBytes(size)}; files outside the local disk (${uri.scheme}:) are read whole, and ${options.limitName} allows ${shortBytes(options.maxWholeFileBytes)} (8 bytes per element)`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    throw new TensorFileError('io', `cannot read ${uri.toString(true)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { ...memorySource(bytes), close: () => undefined };
}
