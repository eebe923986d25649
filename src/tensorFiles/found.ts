/** What a format reader hands to TensorFile: the tensors it found (with their layouts), other values, notes. */
import type { TensorLayout } from './layout';

export type TensorFileFormat = 'npy' | 'npz' | 'safetensors' | 'torch';

export interface FoundTensor {
  readonly name: string;
  readonly layout: TensorLayout;
  /** the storage this tensor views (PyTorch), so tensors sharing one can be told apart */
  readonly storageKey?: string;
  readonly notes?: readonly string[];
}

/** A value of a checkpoint that is not a tensor: `epoch = 3`, `optimizer.param_groups.0.lr = 0.001`. */
export interface FoundValue {
  readonly name: string;
  readonly kind: 'int' | 'float' | 'bool' | 'none' | 'str' | 'bytes' | 'other';
  /** as Python's repr writes it */
  readonly text: string;
}

/** Something the file holds that is listed but not read (a complex or sparse tensor, a non-.npy member). */
export interface SkippedEntry {
  readonly name: string;
  readonly reason: string;
}

export interface ReaderResult {
  readonly format: TensorFileFormat;
  /** "PyTorch checkpoint (torch.save zip, format version 3)" */
  readonly description: string;
  readonly tensors: readonly FoundTensor[];
  readonly values: readonly FoundValue[];
  readonly skipped: readonly SkippedEntry[];
  /** safetensors' `__metadata__` */
  readonly metadata: Readonly<Record<string, string>> | null;
}
