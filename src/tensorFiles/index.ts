/**
 * Tensor files (.npy, .npz, .safetensors, PyTorch's torch.save zip) read safely: pure TypeScript over a
 * random-access byte source, no vscode. What the editor, the CLI and the tests use.
 */
export { TensorFileError, type TensorFileRule } from './errors';
export {
  DEFAULT_MAX_ELEMENTS,
  TensorFile,
  TensorFileCore,
  TensorFileSync,
  openJob,
  tensorLabel,
  type FoundValue,
  type LoadedTensor,
  type OpenOptions,
  type ReadOptions,
  type SkippedEntry,
  type SliceSpec,
  type TensorEntry,
  type TensorFileFormat,
  type TensorListing,
  type TensorStats,
} from './file';
export type { SliceItem } from './layout';
export { openFileSource, openFileSourceSync } from './nodeSource';
export { memorySource, runAsync, runSync, type ByteSource, type RunControl, type SyncByteSource } from './source';
export { TensorFileModel, DEFAULT_EAGER_STATS_BYTES, type StatsState, type TensorFileModelOptions } from './model';
export { displayName, listingJson, listingText, shortBytes, type StatsCell } from './format';
