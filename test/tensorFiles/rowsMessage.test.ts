/**
 * The tensor-file editor's one message, as the page checks it (src/protocol/tensorFile.ts), and the table it
 * carries (src/tensorFiles/format.ts listingTable): what the page is drawn from once and refreshed with after.
 */
import { describe, expect, it } from 'vitest';
import { isTensorFileRowsMessage } from '../../src/protocol/tensorFile';
import type { TensorListing } from '../../src/tensorFiles/file';
import { listingTable, listingText } from '../../src/tensorFiles/format';

const listing: TensorListing = {
  format: 'pytorch',
  description: 'PyTorch checkpoint',
  fileSize: 2048,
  tensorBytes: 96,
  tensors: [
    {
      name: 'conv1.weight',
      dtype: 'float32',
      shape: [2, 1, 3, 3],
      elements: 18,
      bytes: 72,
      contiguous: true,
      notes: [],
    },
    {
      name: 'conv1.bias',
      dtype: 'float32',
      shape: [2],
      elements: 2,
      bytes: 8,
      contiguous: true,
      notes: ['nn.Parameter'],
    },
  ],
  values: [{ name: 'epoch', text: '3' }],
  skipped: [],
  metadata: null,
} as unknown as TensorListing;

describe('the tensor-file table', () => {
  it('has a row per tensor, stats pending until computed, and the sections after it', () => {
    const stats = { min: -1, max: 2, mean: 0.5, std: 1, nan: 0, posInf: 0, negInf: 1 };
    const table = listingTable(listing, (t) => (t.name === 'conv1.weight' ? (stats as never) : { pending: true }));
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['conv1.weight', 'float32', '2×1×3×3', '72 B', '-1', '2', '0.5', '0', '1'],
      ['conv1.bias', 'float32', '2', '8 B', '…', '…', '…', '', ''],
    ]);
    expect(table.sections).toEqual([
      { title: 'notes:', lines: ['conv1.bias: nn.Parameter'] },
      { title: 'other values:', lines: ['epoch = 3'] },
    ]);
    // the text view is the same table
    expect(listingText(listing, () => ({ pending: true }))).toMatch(/conv1\.bias\s+float32\s+2\s+8 B\s+…/);
  });
});

describe('the page accepts only a well-formed rows message', () => {
  const good = { type: 'rows', rows: [{ name: 'conv1.weight', cells: ['float32', '2×1×3×3'] }], sections: [] };
  it('accepts the host’s message', () => expect(isTensorFileRowsMessage(good)).toBe(true));
  it.each([
    ['null', null],
    ['another type', { ...good, type: 'show' }],
    ['a row without cells', { ...good, rows: [{ name: 'x' }] }],
    ['a cell that is not text', { ...good, rows: [{ name: 'x', cells: [1] }] }],
    ['a section line that is not text', { ...good, sections: [{ title: 'notes:', lines: [{}] }] }],
    ['rows that are not a list', { ...good, rows: 'x' }],
  ])('refuses %s', (_, message) => expect(isTensorFileRowsMessage(message)).toBe(false));
});
