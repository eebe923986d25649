/**
 * The custom editor's document for a tensor file: opens the byte source (range reads, or one whole read for
 * non-file schemes), lists the tensors through src/tensorFiles, and holds the TensorFileModel that the view
 * asks for stats, values and slices. It knows nothing of any webview: phase B's tensor view talks to
 * `model` (listing, statsState/want/stats, read with a slice) and listens to `onDidChangeStats`.
 */
import * as vscode from 'vscode';
import { TensorFileError, TensorFile, TensorFileModel, type StatsState } from '../tensorFiles';
import { openTensorFileSource } from './tensorFileSource';

export const FILES_LIMIT_NAME = 'the convLens.files.maxElements setting';
export const DEFAULT_FILES_MAX_ELEMENTS = 1 << 24;

export function filesMaxElements(): number {
  const v =
    vscode.workspace.getConfiguration('convLens').get<number>('files.maxElements') ?? DEFAULT_FILES_MAX_ELEMENTS;
  return Number.isInteger(v) && v >= 1 ? Math.min(v, 2 ** 31) : DEFAULT_FILES_MAX_ELEMENTS;
}

export class TensorFileDocument implements vscode.CustomDocument {
  private readonly statsChanged = new vscode.EventEmitter<{ name: string; state: StatsState }>();
  /** a tensor's stats were computed (or failed) */
  readonly onDidChangeStats = this.statsChanged.event;
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private modelOrUndefined: TensorFileModel | undefined;
  private errorOrUndefined: Error | undefined;

  private constructor(
    readonly uri: vscode.Uri,
    readonly fileName: string,
  ) {}

  /** Never rejects: a file that cannot be read gives a document whose `error` says why. */
  static async open(uri: vscode.Uri, maxElements = filesMaxElements()): Promise<TensorFileDocument> {
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1) || uri.toString(true);
    const doc = new TensorFileDocument(uri, name);
    try {
      const source = await openTensorFileSource(uri, {
        maxWholeFileBytes: maxElements * 8,
        limitName: FILES_LIMIT_NAME,
      });
      let file: TensorFile;
      try {
        file = await TensorFile.open(source, { name, maxElements, limitName: FILES_LIMIT_NAME });
      } catch (e) {
        await source.close();
        throw e;
      }
      doc.modelOrUndefined = new TensorFileModel(file, {
        onStats: (tensor, state) => doc.statsChanged.fire({ name: tensor, state }),
      });
      doc.modelOrUndefined.start();
    } catch (e) {
      doc.errorOrUndefined = e instanceof Error ? e : new Error(String(e));
    }
    return doc;
  }

  /** The listing, stats, values and slices; undefined when the file could not be read. */
  get model(): TensorFileModel | undefined {
    return this.modelOrUndefined;
  }

  /** Why the file could not be read: a TensorFileError for what is wrong with the file, else a bug. */
  get error(): Error | undefined {
    return this.errorOrUndefined;
  }

  get errorMessage(): string | undefined {
    const e = this.errorOrUndefined;
    if (!e) return undefined;
    return e instanceof TensorFileError ? e.message : `internal error in Conv Lens (please report it): ${e.message}`;
  }

  dispose(): void {
    this.modelOrUndefined?.dispose();
    this.disposed.fire();
    this.statsChanged.dispose();
    this.disposed.dispose();
  }
}
