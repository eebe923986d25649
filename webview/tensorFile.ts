/**
 * The tensor-file editor's page (src/editor/tensorFileEditor.ts draws it): it refreshes the table's cells
 * and the sections under it when the host sends new statistics, and does nothing else. It computes nothing.
 */
import { isTensorFileRowsMessage, type TensorFileRowsMessage } from '../src/protocol/tensorFile';

function apply(message: TensorFileRowsMessage): void {
  const byName = new Map<string, HTMLTableRowElement>();
  for (const tr of document.querySelectorAll<HTMLTableRowElement>('#listing tbody tr'))
    byName.set(tr.dataset.name ?? '', tr);
  for (const row of message.rows) {
    const tr = byName.get(row.name);
    if (!tr) continue;
    // cell 0 is the name (a link) and the last the actions: the message's cells go between
    row.cells.forEach((text, i) => {
      const td = tr.cells[i + 1];
      if (td && td.textContent !== text) td.textContent = text;
    });
  }
  const sections = document.getElementById('sections');
  if (!sections) return;
  sections.replaceChildren(
    ...message.sections.flatMap((s) => {
      const h = document.createElement('h2');
      h.textContent = s.title.replace(/:$/, '');
      const ul = document.createElement('ul');
      ul.append(
        ...s.lines.map((line) => {
          const li = document.createElement('li');
          li.textContent = line;
          return li;
        }),
      );
      return [h, ul];
    }),
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isTensorFileRowsMessage(event.data)) apply(event.data);
});
