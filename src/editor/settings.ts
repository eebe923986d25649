/** The extension's settings, read fresh each time (they can change while the editor runs). */
import * as vscode from 'vscode';

export type ConvMode = 'cross-correlation' | 'convolution';

export interface Settings {
  readonly defaultMode: ConvMode;
  readonly numberPrecision: number;
  readonly hoverEnabled: boolean;
  readonly maxElements: number;
  readonly hoverMaxElements: number;
  readonly shapeLens: { readonly enabled: boolean; readonly inlayHints: boolean; readonly codeLens: boolean };
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('convLens');
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));
  return {
    defaultMode: c.get<ConvMode>('defaultMode') === 'convolution' ? 'convolution' : 'cross-correlation',
    numberPrecision: clamp(c.get<number>('numberPrecision') ?? 6, 1, 17),
    hoverEnabled: c.get<boolean>('hover.enabled') ?? true,
    maxElements: clamp(c.get<number>('limits.maxElements') ?? 1_000_000, 1, 1 << 26),
    hoverMaxElements: clamp(c.get<number>('limits.hoverMaxElements') ?? 100_000, 1, 1 << 24),
    shapeLens: {
      enabled: c.get<boolean>('shapeLens.enabled') ?? true,
      inlayHints: c.get<boolean>('shapeLens.inlayHints') ?? true,
      codeLens: c.get<boolean>('shapeLens.codeLens') ?? true,
    },
  };
}
