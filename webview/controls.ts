/**
 * The live controls: the view's parameters as fields (numbers and tuples as text, the padding mode as a
 * choice, flags as checkboxes). A change is sent to the host as the field's text; the host computes the
 * result again and the new view takes this one's place, on the same tab and step.
 */
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { PanelView } from '../src/protocol';
import { el } from './dom';
import { vscode } from './vscodeApi';

export function controlsBar(view: PanelView): HTMLElement | null {
  if (view.controls.length === 0) return null;
  const status = el('span', { class: 'meta', 'aria-live': 'polite' });
  const send = (keyword: string, text: string) => {
    status.textContent = `computing with ${keyword}=${text || '(default)'}…`;
    vscode.postMessage({ type: 'recompute', viewId: view.id, values: { [keyword]: text } });
  };
  const fields = view.controls.map((c) => {
    const label = `${c.keyword}${c.placeholder ? ` (default ${c.placeholder})` : ''}`;
    if (c.kind === 'flag') {
      const box = el('vscode-checkbox' as 'input', { checked: c.value === 'True', label: c.keyword, title: label });
      box.addEventListener('change', () =>
        send(c.keyword, (box as unknown as { checked: boolean }).checked ? 'True' : 'False'),
      );
      return el('span', { class: 'control', 'data-keyword': c.keyword }, box);
    }
    if (c.kind === 'choice') {
      const select = el('vscode-single-select' as 'select', { 'aria-label': label, title: label });
      const current = c.value || c.placeholder;
      for (const o of c.options)
        select.append(el('vscode-option' as 'option', { value: o, selected: o === current }, o));
      select.addEventListener('change', () => send(c.keyword, `'${(select as unknown as { value: string }).value}'`));
      return el('label', { class: 'control', 'data-keyword': c.keyword }, `${c.keyword} `, select);
    }
    const field = el('vscode-textfield' as 'input', {
      value: c.value,
      placeholder: c.placeholder,
      'aria-label': label,
      title: `${label}: a number, or a tuple such as (2, 1); Enter to apply`,
      size: 6,
    });
    field.addEventListener('change', () => send(c.keyword, (field as unknown as { value: string }).value.trim()));
    return el('label', { class: 'control', 'data-keyword': c.keyword }, `${c.keyword} `, field);
  });
  return el('div', { class: 'controls', role: 'group', 'aria-label': 'Parameters' }, ...fields, status);
}
