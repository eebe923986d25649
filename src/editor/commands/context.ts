/**
 * What every command gets: the extension's context, the log, the stored operands, the panel and the
 * results it shows; and the arguments every command accepts, so that scripts, hover links and tests can run
 * it without prompts.
 */
import type * as vscode from 'vscode';
import type { ShapeOp } from '../../app/operation';
import type { GradcheckOutcome } from '../../app/results/gradcheck';
import type { Tensor } from '../../engine/tensor';
import type { PanelView } from '../../protocol';
import type { GradientMarks } from '../gradientMarks';
import type { Panel } from '../panel';
import type { OperandStore, StoredOperand } from '../operandStore';
import type { Results } from '../results';
import type { OperandArg } from './operandPicker';

export interface CommandContext {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly store: OperandStore;
  readonly panel: Panel;
  readonly results: Results;
  /** per view: the literal its output can be written back under */
  readonly insertTargets: Map<string, StoredOperand>;
  /** marks the wrong elements of a user's gradient in its literal (a diagnostic per element) */
  readonly gradientMarks: GradientMarks;
}

export interface CommandArgs {
  readonly input?: OperandArg;
  readonly kernel?: OperandArg;
  /** keyword text, e.g. "stride=2, padding=1"; skips the parameter prompt */
  readonly params?: string;
  /** Check Output Shape: the op and shapes ("1x3x224x224" or [1, 3, 224, 224]) */
  readonly op?: ShapeOp;
  readonly inputShape?: string | number[];
  readonly weightShape?: string | number[] | null;
  /** Check Gradient: the user's own gradient and (optionally) the grad_output it was computed for */
  readonly userGradient?: OperandArg;
  readonly userGradientOf?: 'input' | 'weight';
  readonly gradOutput?: OperandArg;
}

/**
 * What a command returns to scripts and tests (executeCommand hands it over as it is): whether the engine
 * computed it, the view the panel shows, and the result in the user's own shape.
 */
export interface CommandResult {
  readonly ok: boolean;
  readonly view: PanelView;
  readonly output: Tensor | null;
  /** Check Output Shape: the output shape, or null when PyTorch would refuse */
  readonly shape?: readonly number[] | null;
  /** Check Gradient: whether the check (of your gradient, when you gave one) passed, and its headline */
  readonly outcome?: GradcheckOutcome | null;
}
