/**
 * Every refusal the engine makes is an EngineError: it names the parameter that is wrong, the rule it broke
 * (a stable id that scripts and tests can match on) and a message that says what to change. When PyTorch
 * itself would refuse the request, the message starts with PyTorch's own words and `explanation` holds the
 * plain-language reason and the fix separately, for views that lay them out.
 */
export type RuleId =
  // PyTorch's own shape rules
  | 'groups_divisible'
  | 'channels_mismatch'
  | 'kernel_too_large'
  | 'same_strided'
  | 'bad_padding_string'
  | 'output_padding'
  | 'pool_pad_too_large'
  | 'reflect_pad_too_large'
  | 'circular_pad_too_large'
  | 'nonpositive'
  | 'rank_mismatch'
  | 'output_too_small'
  | 'bias_shape'
  | 'shape_mismatch'
  | 'not_applicable'
  // malformed requests
  | 'type'
  | 'ragged'
  | 'size_limit'
  | 'unknown_op'
  | 'missing_field'
  | 'unknown_field'
  | 'json'
  // a tensor read from a file ({"file": …, "name": …}) that could not be read
  | 'file'
  // PyTorch's integer range: beyond int64 ("Overflow when unpacking long"), or past what its kernels take
  | 'int_range'
  // the budget and the guards of the CLI's edge
  | 'budget'
  | 'nesting'
  | 'encoding';

export interface Explanation {
  /** PyTorch's error text for the same request (PyTorch 2.x wording). */
  readonly torch: string;
  /** Which constraint failed, with the user's numbers. */
  readonly why: string;
  /** What to change so that the request is accepted. */
  readonly fix: string;
}

export class EngineError extends Error {
  constructor(
    readonly param: string,
    readonly rule: RuleId,
    message: string,
    readonly explanation?: Explanation,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A malformed request: the message names the field and what was expected. */
export function fail(param: string, rule: RuleId, message: string): never {
  throw new EngineError(param, rule, message);
}

/** A request PyTorch would refuse: its words, then why and the fix. */
export function refuse(param: string, rule: RuleId, explanation: Explanation): never {
  throw new EngineError(param, rule, `${explanation.torch} — ${explanation.why}: ${explanation.fix}`, explanation);
}
