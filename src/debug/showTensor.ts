/**
 * The one door from a tensor read at runtime to the panel. Today it draws the summary and the Result tab of the
 * existing panel (tensorPanelView.ts); the tensor view (any rank, dims to show, heat map, histogram, NaN jump)
 * takes over behind this same function.
 */
import type { PanelManager } from '../panel/panelManager';
import type { PanelView } from '../protocol';
import type { TensorSource } from '../tensorSource';
import { tensorPanelView } from './tensorPanelView';

export function showTensor(panel: PanelManager, source: TensorSource, precision: number): PanelView {
  const view = tensorPanelView(source, precision);
  panel.show(view);
  return view;
}
