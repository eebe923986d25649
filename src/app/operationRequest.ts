/**
 * A result's operation as the CLI would be asked it (`{"op": "conv2d", "input": […], "weight": […], …}`): the
 * JSON form Verify in PyTorch sends to the person's own Python, and answers with the engine's JSON edge too.
 * The operands are read exactly as the result sessions read them, so both engines see the same tensors.
 */
import { sizeOf, toNested, type Tensor } from '../engine/tensor';
import type { KwValue } from './keywords';
import { readConvOperands, readPoolOperands } from './operands';
import type { OperationSpec } from './operation';
import { convGeometryFor } from './results/conv';

function without(params: Readonly<Record<string, KwValue>>, ...keys: string[]): Record<string, KwValue> {
  const out = { ...params };
  for (const k of keys) delete out[k];
  return out;
}

function biasValues(value: KwValue | undefined, channels: number): number[] | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  return Array.isArray(value) ? value : new Array<number>(channels).fill(Number(value));
}

const nested = (t: Tensor) => toNested(t);

export function operationRequest(spec: OperationSpec): Record<string, unknown> {
  const p = spec.params;
  const flip = typeof p.flip === 'boolean' ? p.flip : spec.flipByDefault;
  switch (spec.kind) {
    case 'conv':
    case 'conv_transpose':
    case 'backward':
    case 'gradcheck': {
      const read = readConvOperands(spec.input, spec.kernel ?? spec.input);
      const base: Record<string, unknown> = { input: nested(read.input), weight: nested(read.weight) };
      if (spec.kind === 'conv_transpose') {
        const bias = biasValues(p.bias, read.weight.shape[1] * Number(p.groups ?? 1));
        return { op: `conv_transpose${read.rank}d`, ...base, ...without(p, 'bias', 'flip'), ...(bias ? { bias } : {}) };
      }
      const bias = biasValues(p.bias, read.weight.shape[0]);
      const conv = { ...base, flip, ...without(p, 'bias', 'flip', 'eps', 'atol', 'rtol', 'fast_mode') };
      if (spec.kind === 'conv') return { op: `conv${read.rank}d`, ...conv, ...(bias ? { bias } : {}) };
      if (spec.kind === 'backward') {
        // dY in the output's shape: ones (the gradient of output.sum()) unless the person gave one
        let gradOutput: unknown = spec.gradOutput ? nested(spec.gradOutput) : undefined;
        try {
          const shape = convGeometryFor(read, p, null).outputShape;
          gradOutput = nested({
            shape,
            data: spec.gradOutput ? spec.gradOutput.data : new Float64Array(sizeOf(shape)).fill(1),
          });
        } catch {
          // parameters PyTorch refuses: the engine and PyTorch both say so, whatever dY is
        }
        return {
          op: `conv${read.rank}d_backward`,
          ...conv,
          ...(bias ? { bias: bias.map(() => 0) } : {}),
          ...(gradOutput !== undefined ? { grad_output: gradOutput } : {}),
        };
      }
      const check: Record<string, unknown> = {
        op: 'gradcheck',
        of: `conv${read.rank}d`,
        ...conv,
        ...(p.eps !== undefined ? { eps: p.eps } : {}),
        ...(p.atol !== undefined ? { atol: p.atol } : {}),
        ...(p.rtol !== undefined ? { rtol: p.rtol } : {}),
        ...(p.fast_mode !== undefined ? { fast_mode: p.fast_mode } : {}),
      };
      if (spec.userGradient) {
        const target = spec.userGradient.of === 'input' ? read.input : read.weight;
        check[spec.userGradient.of === 'input' ? 'grad_input' : 'grad_weight'] = nested({
          shape: target.shape,
          data: spec.userGradient.tensor.data,
        });
      }
      return check;
    }
    case 'max_pool':
    case 'avg_pool': {
      const read = readPoolOperands(spec.input, p.kernel_size);
      return {
        op: `${spec.kind}${read.rank}d`,
        input: nested(read.input),
        ...p,
        ...(spec.kind === 'max_pool' ? { return_indices: true } : {}),
      };
    }
    case 'im2col': {
      const values: Record<string, KwValue> = without(p, 'flip', 'groups', 'padding_mode', 'bias');
      const conv = spec.kernel ? readConvOperands(spec.input, spec.kernel) : null;
      const { input, rank } = conv ?? readPoolOperands(spec.input, p.kernel_size);
      if (conv && values.kernel_size === undefined) values.kernel_size = conv.weight.shape.slice(2);
      return { op: rank === 2 ? 'unfold' : `unfold${rank}d`, input: nested(input), ...values };
    }
  }
}
