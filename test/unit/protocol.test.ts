/** The host's guard on webview messages, and the webview's guard on host messages, against hostile input. */
import { describe, expect, it } from 'vitest';
import { runOperation } from '../../src/commands/views';
import { fromNested } from '../../src/engine/tensor';
import { isHostMessage, isPanelView, isWebviewMessage } from '../../src/protocol';

describe('isWebviewMessage', () => {
  it('accepts the messages the panel sends', () => {
    expect(isWebviewMessage({ type: 'ready' })).toBe(true);
    expect(isWebviewMessage({ type: 'insert', viewId: 'conv-1', tensor: 'output' })).toBe(true);
    expect(isWebviewMessage({ type: 'loadSteps', viewId: 'v', part: 'steps', start: 256 })).toBe(true);
    expect(isWebviewMessage({ type: 'save', text: '<svg/>', fileName: 'conv-lens-conv.svg' })).toBe(true);
    expect(isWebviewMessage({ type: 'runCommand', command: 'convLens.convolve' })).toBe(true);
  });
  it.each([
    null,
    undefined,
    42,
    'ready',
    [],
    { type: 'nope' },
    { type: 'insert', viewId: 5, tensor: 'output' },
    { type: 'loadSteps', viewId: 'v', part: 'steps', start: -1 },
    { type: 'loadSteps', viewId: 'v', part: '__proto__', start: 0 },
    { type: 'save', text: 'x', fileName: '../../etc/passwd' },
    { type: 'save', text: 'x', fileName: 'a/b.svg' },
    { type: 'runCommand', command: 'workbench.action.terminal.sendSequence' },
    { type: 'copy', text: 'x'.repeat((1 << 20) + 1) },
  ])('refuses %j', (m) => {
    expect(isWebviewMessage(m)).toBe(false);
  });
});

describe('isHostMessage', () => {
  const view = runOperation({
    kind: 'conv',
    input: fromNested(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      'x',
    ),
    kernel: fromNested(
      [
        [1, 0],
        [0, 1],
      ],
      'w',
    ),
    params: {},
    paramsText: '',
    flipByDefault: false,
    precision: 6,
    canInsert: false,
  }).view;
  it('accepts a real view', () => {
    expect(isPanelView(view)).toBe(true);
    expect(isHostMessage({ type: 'show', view })).toBe(true);
  });
  it.each([
    ['a wrong precision', { ...view, precision: 99 }],
    ['tensors that are not a list', { ...view, tensors: 'x' }],
    ['a shape with a negative dim', { ...view, tensors: [{ name: 'o', shape: [-1], values: [] }] }],
    ['a value that is an object', { ...view, tensors: [{ name: 'o', shape: [1], values: [{ toString: 1 }] }] }],
    ['a long string where a number goes', { ...view, tensors: [{ name: 'o', shape: [1], values: ['x'.repeat(100)] }] }],
    ['an unknown kind', { ...view, kind: 'script' }],
    ['a trace that is not an object', { ...view, trace: 'x' }],
  ])('refuses a view with %s', (_what, bad) => {
    expect(isHostMessage({ type: 'show', view: bad })).toBe(false);
  });
});
