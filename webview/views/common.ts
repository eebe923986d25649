/** What every view gets from the renderer, and small shared controls. */
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { el } from '../dom';
import type { ViewTensors } from '../tensors';

export interface ViewContext {
  readonly viewId: string;
  /** the view's tensors, whole or plane by plane */
  readonly tensors: ViewTensors;
  readonly precision: number;
  /** the step to start on (restored after a reload) */
  readonly initialStep: number;
  saveStep(step: number): void;
  onDispose(fn: () => void): void;
  /** the view tells how to export the step on screen as a table (for "Copy step as Markdown/LaTeX") */
  setStepTable(fn: () => StepTable | null): void;
  /** a view with steps says how to show each, so that the animation can be exported frame by frame */
  setAnimation(animation: Animation): void;
}

export interface Animation {
  readonly total: number;
  /** shows step i (the view draws it, and asks for what it needs) */
  go(step: number): void;
  readonly current: () => number;
}

export interface StepTable {
  readonly caption: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

/** A labelled drop-down (vscode-single-select) calling back with the chosen index. */
export function selector(
  label: string,
  options: readonly string[],
  initial: number,
  onChange: (index: number) => void,
): HTMLElement {
  const select = el('vscode-single-select' as 'select', { 'aria-label': label, title: label });
  options.forEach((o, i) =>
    select.append(el('vscode-option' as 'option', { value: String(i), selected: i === initial }, o)),
  );
  select.addEventListener('change', () => onChange(Number((select as unknown as { value: string }).value)));
  return el('label', { class: 'picker' }, `${label} `, select);
}
