/** Shape rules and their explanations: PyTorch's words, which constraint failed, and what to change. */
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/compare';
import { convGeometry, convTransposeGeometry, poolGeometry } from '../../src/engine/geometry';

describe('conv output shape', () => {
  it('x=[1,3,224,224] w=[64,3,7,7] s=2 p=3: ResNet stem, formula filled in', () => {
    const g = convGeometry({
      rank: 2,
      inputShape: [1, 3, 224, 224],
      weightShape: [64, 3, 7, 7],
      stride: 2,
      padding: 3,
    });
    expect(g.outputShape).toEqual([1, 64, 112, 112]);
    expect(g.formula[0].text).toBe('floor((224 + 2·3 − 1·(7 − 1) − 1) / 2) + 1 = 112');
    expect(g.formula[1].effectiveKernel).toBe(7);
  });
  it("padding='same' with an even kernel puts the extra cell after", () => {
    const g = convGeometry({
      rank: 2,
      inputShape: [1, 1, 5, 6],
      weightShape: [1, 1, 4, 2],
      padding: 'same',
      dilation: [1, 3],
    });
    expect(g.padBefore).toEqual([1, 1]);
    expect(g.padAfter).toEqual([2, 2]);
    expect(g.outputShape).toEqual([1, 1, 5, 6]);
  });
});

describe('refusals name the parameter, the rule and the fix', () => {
  it('kernel 5x5 with dilation 2 on a 7x7 input', () => {
    const e = refusal(() =>
      convGeometry({ rank: 2, inputShape: [1, 1, 7, 7], weightShape: [1, 1, 5, 5], dilation: 2 }),
    );
    expect(e.rule).toBe('kernel_too_large');
    expect(e.param).toBe('weight');
    expect(e.explanation?.torch).toBe(
      "Calculated padded input size per channel: (7 x 7). Kernel size: (9 x 9). Kernel size can't be greater than actual input size",
    );
    expect(e.explanation?.why).toBe('kernel 5x5 with dilation 2 spans 9x9, but the padded input is 7x7');
    expect(e.explanation?.fix).toContain('use padding ≥ 1 or dilation 1');
  });
  it('channel mismatch suggests the in_channels to set', () => {
    const e = refusal(() => convGeometry({ rank: 2, inputShape: [1, 64, 56, 56], weightShape: [64, 3, 3, 3] }));
    expect(e.rule).toBe('channels_mismatch');
    expect(e.message).toContain('expected input[1, 64, 56, 56] to have 3 channels, but got 64 channels instead');
    expect(e.explanation?.fix).toContain('set in_channels=64');
  });
  it('groups that do not divide out_channels list the ones that do', () => {
    const e = refusal(() => convGeometry({ rank: 2, inputShape: [1, 4, 8, 8], weightShape: [6, 1, 3, 3], groups: 4 }));
    expect(e.rule).toBe('groups_divisible');
    expect(e.explanation?.fix).toContain('1, 2, 3, 6');
  });
  it("'same' with a stride", () => {
    const e = refusal(() =>
      convGeometry({ rank: 1, inputShape: [1, 1, 9], weightShape: [1, 1, 3], padding: 'same', stride: 2 }),
    );
    expect(e.rule).toBe('same_strided');
    expect(e.explanation?.torch).toBe("padding='same' is not supported for strided convolutions");
    expect(e.explanation?.fix).toContain('padding=(1)');
  });
  it('reflect padding as large as the input', () => {
    const e = refusal(() =>
      convGeometry({
        rank: 2,
        inputShape: [1, 1, 3, 3],
        weightShape: [1, 1, 3, 3],
        padding: 3,
        paddingMode: 'reflect',
      }),
    );
    expect(e.rule).toBe('reflect_pad_too_large');
    expect(e.explanation?.fix).toContain('padding ≤ 2');
  });
  it('output_padding not below stride or dilation', () => {
    const e = refusal(() =>
      convTransposeGeometry({
        rank: 2,
        inputShape: [1, 1, 3, 3],
        weightShape: [1, 1, 3, 3],
        stride: 2,
        outputPadding: 2,
      }),
    );
    expect(e.rule).toBe('output_padding');
    expect(e.param).toBe('output_padding');
    expect(e.explanation?.fix).toContain('output_padding ≤ 1');
  });
  it('pool padding over half the effective kernel follows PyTorch 2.x (dilation counts)', () => {
    // 2.x allows pad 2 for k=3, d=2 (effective 5); 1.13 would have refused it
    expect(
      poolGeometry({ kind: 'max', rank: 2, inputShape: [1, 1, 8, 8], kernelSize: 3, dilation: 2, padding: 2 })
        .outputShape,
    ).toEqual([1, 1, 3, 3]);
    const e = refusal(() =>
      poolGeometry({ kind: 'max', rank: 2, inputShape: [1, 1, 8, 8], kernelSize: 3, padding: 2 }),
    );
    expect(e.rule).toBe('pool_pad_too_large');
    expect(e.explanation?.torch).toBe(
      'pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1',
    );
  });
  it('ceil_mode drops a window that would start in the right padding', () => {
    const g = poolGeometry({
      kind: 'max',
      rank: 1,
      inputShape: [1, 1, 5],
      kernelSize: 2,
      stride: 2,
      padding: 1,
      ceilMode: true,
    });
    // ceil((5 + 2 − 2) / 2) + 1 = 4, but window 3 starts at 3·2 − 1 = 5 ≥ 5: dropped
    expect(g.outputShape).toEqual([1, 1, 3]);
  });
  it('a wrong type names the field', () => {
    const e = refusal(() =>
      convGeometry({ rank: 2, inputShape: [1, 1, 5, 5], weightShape: [1, 1, 3, 3], stride: 'two' }),
    );
    expect(e.rule).toBe('type');
    expect(e.param).toBe('stride');
  });
});
