/**
 * Every refusal of a tensor-file reader is a TensorFileError: a stable rule id (for scripts and tests) and a
 * message for a person that says what is wrong with the file, with the numbers, and what to do about it.
 * Anything else thrown out of src/tensorFiles/ is a bug.
 */
export type TensorFileRule =
  /** the file ends before something it declares (a header, a member, a tensor's data) */
  | 'truncated'
  /** an offset, a size or a view points outside the file, its data section or its storage */
  | 'out_of_bounds'
  /** two members or tensors claim the same bytes */
  | 'overlap'
  /** over the cap on what is loaded at once (the maxElements option), or implausibly large */
  | 'too_large'
  /** a header that does not parse or breaks the format's rules */
  | 'bad_header'
  /** a zip archive that breaks the zip format's rules */
  | 'bad_zip'
  /** a pickle that breaks the pickle format's rules */
  | 'bad_pickle'
  /** a pickle that names a global outside the allowlist: never called, the whole file is refused */
  | 'refused_global'
  /** PyTorch's pre-1.6 serialization (not a zip) */
  | 'legacy_format'
  /** a valid file of a kind, dtype or feature the readers do not read (object arrays, complex, encrypted zip) */
  | 'unsupported'
  /** not one of the formats read here */
  | 'not_tensor_file'
  /** no tensor of that name */
  | 'not_found'
  /** a slice outside the tensor */
  | 'bad_slice'
  /** the byte source failed or returned fewer bytes than asked (the file changed on disk?) */
  | 'io'
  | 'cancelled';

export class TensorFileError extends Error {
  constructor(
    readonly rule: TensorFileRule,
    message: string,
  ) {
    super(message);
    this.name = 'TensorFileError';
  }
}

export function refuse(rule: TensorFileRule, message: string): never {
  throw new TensorFileError(rule, message);
}

/** "1,234,567" */
export function count(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

/** "4.0 MiB (4,194,304 bytes)", or "312 bytes" */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]} (${count(n)} bytes)`;
}
