/** The one door from a tensor read at runtime to the panel: the tensor view, kept with the recent results. */
import { openTensorView } from '../app/results/tensorView';
import { inlineHandle } from '../editor/engineWorkers';
import type { Panel } from '../editor/panel';
import type { Results } from '../editor/results';
import type { PanelView } from '../protocol';
import type { TensorSource } from '../tensorSource';
import { tensorViewSpec } from './tensorViewSpec';

export function showTensor(results: Results, panel: Panel, source: TensorSource, precision: number): PanelView {
  const handle = inlineHandle(openTensorView(tensorViewSpec(source, precision)));
  results.remember(handle);
  panel.show(handle.view);
  return handle.view;
}
