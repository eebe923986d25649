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
  return selectorControl(label, options, initial, onChange).element;
}

/** A selector whose choice the view can also move (the output channel follows the player's step). */
export function selectorControl(
  label: string,
  options: readonly string[],
  initial: number,
  onChange: (index: number) => void,
): { element: HTMLElement; show(index: number): void } {
  const select = el('vscode-single-select' as 'select', { 'aria-label': label, title: label });
  options.forEach((o, i) =>
    select.append(el('vscode-option' as 'option', { value: String(i), selected: i === initial }, o)),
  );
  const value = select as unknown as { value: string };
  select.addEventListener('change', () => onChange(Number(value.value)));
  return {
    element: el('label', { class: 'picker' }, `${label} `, select),
    show: (index) => {
      // setting the value programmatically fires no change event, so the player is not moved back
      if (value.value !== String(index)) value.value = String(index);
    },
  };
}
