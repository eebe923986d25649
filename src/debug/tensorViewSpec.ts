/**
 * A tensor read from a paused debug session, as the tensor view is asked to show it: its name, where it came
 * from, and what the program knows of it that the values do not say (expression, Python type, device,
 * requires_grad). Pure: the statistics, the slices and the picture are the tensor view's (src/app).
 */
import type { TensorViewSpec } from '../app/results/tensorView';
import type { TensorSource } from '../tensorSource';

export function tensorViewSpec(source: TensorSource, precision: number): TensorViewSpec {
  const origin = source.origin;
  const details = [
    { label: 'expression', value: source.expression },
    { label: 'type', value: source.pythonType },
    { label: 'device', value: source.device },
  ];
  if (source.requiresGrad) details.push({ label: 'requires_grad', value: 'True (read detached)' });
  return {
    tensor: { shape: source.shape, data: source.data },
    name: source.name,
    dtype: source.dtype,
    origin: `debug session ${origin.sessionName}${origin.frame ? `, ${origin.frame}` : ''}`,
    precision,
    details,
    notes: [...source.notes],
  };
}
