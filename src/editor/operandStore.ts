/**
 * The input and kernel a person set with "Set Selection as Input/Kernel", shown in the status bar, and
 * kept for the session (a reload forgets them: they point into documents that may have changed).
 */
import * as vscode from 'vscode';
import type { Tensor } from '../engine/tensor';
import type { LiteralFormat } from '../parse';

export interface StoredOperand {
  readonly tensor: Tensor;
  readonly label: string;
  readonly format: LiteralFormat;
  readonly wrapper?: string;
  readonly uri?: vscode.Uri;
  readonly range?: vscode.Range;
}

export type OperandRole = 'input' | 'kernel';

export class OperandStore implements vscode.Disposable {
  private readonly operands = new Map<OperandRole, StoredOperand>();
  private readonly item: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor() {
    this.item = vscode.window.createStatusBarItem('convLens.operands', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Conv Lens operands';
    this.item.command = 'convLens.convolve';
    this.render();
  }

  get(role: OperandRole): StoredOperand | undefined {
    return this.operands.get(role);
  }

  set(role: OperandRole, operand: StoredOperand): void {
    this.operands.set(role, operand);
    this.render();
    this.changed.fire();
  }

  clear(): void {
    this.operands.clear();
    this.render();
    this.changed.fire();
  }

  private render(): void {
    const input = this.operands.get('input');
    const kernel = this.operands.get('kernel');
    if (!input && !kernel) {
      this.item.hide();
      return;
    }
    const part = (name: string, o: StoredOperand | undefined) => `${name} ${o ? o.tensor.shape.join('×') : '—'}`;
    this.item.text = `$(symbol-array) ${part('input', input)} · ${part('kernel', kernel)}`;
    this.item.tooltip = `Conv Lens: the operands for Convolve and the other commands.\nInput: ${input?.label ?? 'not set'}\nKernel: ${kernel?.label ?? 'not set'}\nClick to convolve.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }
}
