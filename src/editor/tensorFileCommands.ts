/**
 * What a person does with one tensor of an open tensor file: Show it in the panel's tensor view (a conv
 * weight's filters as a grid), or use it as the input or the kernel of the next operation. The tensor-file
 * editor's rows link here ({ uri, name } as the command's argument); each read goes through the file's own
 * model, so it is bounded by convLens.files.maxElements and a refusal names that setting.
 */
import * as vscode from 'vscode';
import { openTensorView } from '../app/results/tensorView';
import { shapeText } from '../engine/tensor';
import { TensorFileError, type LoadedTensor, type TensorEntry } from '../tensorFiles';
import { displayName } from '../tensorFiles/format';
import { inlineHandle } from './engineWorkers';
import type { OperandRole, OperandStore } from './operandStore';
import type { Panel } from './panel';
import type { Results } from './results';
import { readSettings } from './settings';
import type { TensorFileDocument } from './tensorFileDocument';
import { summarisedWhenSerialised } from './commandReturn';

export const TENSOR_FILE_COMMANDS = {
  show: 'convLens.files.showTensor',
  useAsInput: 'convLens.files.useAsInput',
  useAsKernel: 'convLens.files.useAsKernel',
} as const;

/** The argument of each command: which file, which tensor ('' for a file that is one tensor). */
export interface TensorFileRef {
  readonly uri: string;
  readonly name: string;
}

export function isTensorFileRef(x: unknown): x is TensorFileRef {
  const r = x as TensorFileRef;
  return typeof x === 'object' && x !== null && typeof r.uri === 'string' && typeof r.name === 'string';
}

/** `command:convLens.files.showTensor?…` for a link in the editor's HTML. */
export function tensorCommandUri(command: string, ref: TensorFileRef): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify([ref]))}`;
}

interface Read {
  readonly document: TensorFileDocument;
  readonly entry: TensorEntry;
  readonly tensor: LoadedTensor;
  /** `conv1.weight of small_cnn.pt` */
  readonly label: string;
}

export function registerTensorFileCommands(
  documents: ReadonlySet<TensorFileDocument>,
  store: OperandStore,
  panel: Panel,
  results: Results,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  const read = async (args: unknown): Promise<Read> => {
    if (!isTensorFileRef(args))
      throw new TensorFileError('not_found', 'the command wants { uri, name }: open a tensor file and use its links');
    const document = [...documents].find((d) => d.uri.toString() === args.uri);
    const model = document?.model;
    if (!document || !model) throw new TensorFileError('not_found', `${args.uri} is not open as a tensor file`);
    const entry = model.listing.tensors.find((t) => t.name === args.name);
    if (!entry)
      throw new TensorFileError('not_found', `${document.fileName} has no tensor named ${JSON.stringify(args.name)}`);
    const tensor = await model.read(entry.name);
    const label = entry.name === '' ? document.fileName : `${displayName(entry.name)} of ${document.fileName}`;
    return { document, entry, tensor, label };
  };

  /** Errors become a message (and `{ ok: false, error }` for scripts and tests). */
  const safely =
    <T>(fn: (args: unknown) => Promise<T>) =>
    async (args: unknown): Promise<T | { ok: false; error: string }> => {
      try {
        return summarisedWhenSerialised(await fn(args));
      } catch (e) {
        const error =
          e instanceof TensorFileError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
        if (!(e instanceof TensorFileError))
          log.error(`tensor file command: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        void vscode.window.showErrorMessage(`Conv Lens: ${error}`);
        return { ok: false as const, error };
      }
    };

  const show = async (args: unknown) => {
    const r = await read(args);
    // the file is in the summary's "from"; a storage shared with other tensors is among the entry's notes
    const details = r.entry.name === '' ? [] : [{ label: 'name in the file', value: r.entry.name }];
    const notes = [...r.entry.notes];
    if (r.tensor.lossyIntegers) notes.push('int64 values beyond ±2^53 were rounded to the nearest float64');
    const handle = inlineHandle(
      openTensorView({
        tensor: { shape: r.tensor.shape, data: r.tensor.data },
        name: r.entry.name === '' ? r.document.fileName : displayName(r.entry.name),
        dtype: r.tensor.dtype,
        origin: `tensor file ${r.document.fileName}`,
        precision: readSettings().numberPrecision,
        details,
        notes,
      }),
    );
    results.remember(handle);
    panel.show(handle.view);
    return { ok: true as const, view: handle.view };
  };

  const useAs = (role: OperandRole) => async (args: unknown) => {
    const r = await read(args);
    store.set(role, {
      tensor: { shape: r.tensor.shape, data: r.tensor.data },
      label: `${r.label} (${r.tensor.dtype})`,
      format: 'python',
      origin: { kind: 'file', name: displayName(r.entry.name) || r.document.fileName, file: r.document.fileName },
      dtype: r.tensor.dtype,
    });
    vscode.window.setStatusBarMessage(
      `Conv Lens: ${role} set to ${r.label} (${shapeText(r.tensor.shape)} ${r.tensor.dtype})`,
      3000,
    );
    return { ok: true as const, role, shape: [...r.tensor.shape] };
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(TENSOR_FILE_COMMANDS.show, safely(show)),
    vscode.commands.registerCommand(TENSOR_FILE_COMMANDS.useAsInput, safely(useAs('input'))),
    vscode.commands.registerCommand(TENSOR_FILE_COMMANDS.useAsKernel, safely(useAs('kernel'))),
  );
}
