/**
 * What a command asks for, as typed data: the operation, its operands as tensors, the parameters as the
 * user typed them, and where each operand came from. One OperationSpec opens one ResultSession
 * (results/session.ts), in the extension host for small problems or in an engine worker for big ones.
 */
import type { Tensor } from '../engine/tensor';
import type { KwValue } from './keywords';

export type OperationKind = 'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool' | 'im2col' | 'backward' | 'gradcheck';

/** Where an operand came from, as the panel's summary says it: "x at lecture.py:3", "x (debug)". */
export interface OperandOrigin {
  readonly role: string;
  readonly label: string;
}

export interface OperationSpec {
  readonly kind: OperationKind;
  readonly input: Tensor;
  /** conv, conv_transpose, backward, gradcheck: the kernel; im2col: optional (then the GEMM is shown too) */
  readonly kernel?: Tensor;
  /** backward and gradcheck: dY (ones when not given) */
  readonly gradOutput?: Tensor;
  /** gradcheck: the user's own gradient, and which operand it is the gradient of */
  readonly userGradient?: { readonly of: 'input' | 'weight'; readonly tensor: Tensor };
  readonly params: Readonly<Record<string, KwValue>>;
  /** the parameters as the user typed them, shown back in the panel */
  readonly paramsText: string;
  /** true convolution unless the parameters say flip= */
  readonly flipByDefault: boolean;
  readonly precision: number;
  /** whether the input is a literal in a document that the output can be written back to */
  readonly canInsert: boolean;
  readonly maxElements: number;
  readonly origins?: readonly OperandOrigin[];
}

/** The shapes-only check (Check Output Shape…): no values, so it never needs a worker. */
export type ShapeOp = 'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool';
