/**
 * The input and kernel a person set with "Set Selection as Input/Kernel", shown in the status bar, and
 * kept for the session (a reload forgets them: they point into documents that may have changed).
 */
import * as vscode from 'vscode';
import type { DType } from '../engine/dtype';
import type { Tensor } from '../engine/tensor';
import type { LiteralFormat } from '../parse';
import { operandStatusText } from './operandText';

/** Where an operand came from: a literal in a document (uri/range say where), typed text, a paused debug session, a tensor file. */
export type OperandOrigin =
  | { readonly kind: 'literal' }
  | { readonly kind: 'typed' }
  | { readonly kind: 'debug'; readonly name: string; readonly expression: string; readonly sessionName: string }
  | { readonly kind: 'file'; readonly name: string; readonly file: string };

export interface StoredOperand {
  readonly tensor: Tensor;
  readonly label: string;
  readonly format: LiteralFormat;
  readonly wrapper?: string;
  readonly uri?: vscode.Uri;
  readonly range?: vscode.Range;
  /** a literal when absent */
  readonly origin?: OperandOrigin;
  /** the element type it has where it came from (literals: absent, read as float64) */
  readonly dtype?: DType;
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
    this.item.text = `$(symbol-array) ${operandStatusText('input', input)} · ${operandStatusText('kernel', kernel)}`;
    this.item.tooltip = `Conv Lens: the operands for Convolve and the other commands.\nInput: ${input?.label ?? 'not set'}\nKernel: ${kernel?.label ?? 'not set'}\nClick to convolve.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }
}
