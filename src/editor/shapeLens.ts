/**
 * The shape lens in the editor: inlay hints with each layer's output shape, a hover with the formula,
 * a diagnostic at the first layer PyTorch would refuse (with its quick fix), code lenses on each model,
 * and two commands (set a model's input shape; step through one of its layers in the panel).
 *
 * A thin adapter: everything it shows comes from src/shapeLens/analyze.ts, computed once per document
 * version and shared by every provider. Python files only.
 */
import * as vscode from 'vscode';
import { toNested, type Tensor } from '../engine/tensor';
import { parseLiteral } from '../parse';
import { parseShape } from '../engine/requests';
import { readSettings } from './settings';
import type { OperandStore } from './operandStore';
import {
  describeLayer,
  layerAt,
  randomNested,
  shapeDiagnostics,
  shapeHints,
  shapeText,
  stepPlan,
  ShapeAnalyzer,
  type Fill,
  type LensDiagnostic,
  type ModelShapes,
  type ShapeHint,
  type StepPlan,
} from '../shapeLens/analyze';
import type { SourceRange } from '../shapeLens/parseModel';

export const SHAPE_LENS_SELECTOR: vscode.DocumentSelector = { language: 'python' };
const DIAGNOSTIC_SOURCE = 'Conv Lens';
const DIAGNOSTIC_CODE = 'shape-mismatch';
/** workspaceState key: { "<document uri>#<model name>": number[] } */
const REMEMBERED_KEY = 'convLens.shapeLens.inputShapes';
/** quiet time after the last keystroke before the diagnostics are recomputed */
const DIAGNOSTIC_DELAY_MS = 250;

/** Arguments of convLens.setModelInputShape and convLens.stepThroughLayer (code lenses, hovers, tests). */
export interface ModelArgs {
  readonly uri?: string;
  readonly model?: string;
  /** setModelInputShape: "1x3x224x224", or "" to forget the remembered shape */
  readonly shape?: string;
  /** stepThroughLayer: the 0-based index of the layer in the model's chain */
  readonly layer?: number;
  /**
   * stepThroughLayer: how to fill the input and weights. 'stored' takes the input set with Set Selection as
   * Input, 'typed' asks for a literal; both are reshaped to the layer's input shape when the element counts
   * match. The weights are random integers or normal values.
   */
  readonly fill?: Fill | 'stored' | 'typed';
  /** stepThroughLayer with fill 'typed': the literal (else a prompt asks for it) */
  readonly literal?: string;
}

interface Analysis {
  readonly version: number;
  readonly generation: number;
  readonly models: readonly ModelShapes[];
  readonly hints: readonly ShapeHint[];
  readonly diagnostics: readonly LensDiagnostic[];
}

class UserCancelled extends Error {}

export class ShapeLens implements vscode.Disposable {
  private readonly cache = new Map<string, Analysis>();
  /** one per open document: it keeps the propagations of models an edit did not touch */
  private readonly analyzers = new Map<string, ShapeAnalyzer>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('conv-lens-shapes');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** bumped when a remembered input shape or a setting changes: every cached analysis is stale */
  private generation = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly store: OperandStore,
  ) {
    const onChange = this.changed.event;
    this.disposables.push(
      this.diagnostics,
      this.changed,
      vscode.languages.registerInlayHintsProvider(SHAPE_LENS_SELECTOR, {
        onDidChangeInlayHints: onChange,
        provideInlayHints: (document, range) => this.inlayHints(document, range),
      }),
      vscode.languages.registerHoverProvider(SHAPE_LENS_SELECTOR, {
        provideHover: (document, position) => this.hover(document, position),
      }),
      vscode.languages.registerCodeLensProvider(SHAPE_LENS_SELECTOR, {
        onDidChangeCodeLenses: onChange,
        provideCodeLenses: (document) => this.codeLenses(document),
      }),
      vscode.languages.registerCodeActionsProvider(
        SHAPE_LENS_SELECTOR,
        { provideCodeActions: (document, range, ctx) => this.quickFixes(document, range, ctx) },
        {
          providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
        },
      ),
      vscode.workspace.onDidOpenTextDocument((d) => this.refreshDiagnostics(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.scheduleDiagnostics(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('convLens.shapeLens')) this.invalidate();
      }),
      vscode.commands.registerCommand('convLens.setModelInputShape', (args?: ModelArgs) =>
        this.safely('Set Model Input Shape', () => this.setModelInputShape(args)),
      ),
      vscode.commands.registerCommand('convLens.stepThroughLayer', (args?: ModelArgs) =>
        this.safely('Step Through Layer', () => this.stepThroughLayer(args)),
      ),
    );
    for (const d of vscode.workspace.textDocuments) this.refreshDiagnostics(d);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }

  // ------------------------------------------------------------------------------------------------
  // The analysis, once per document version

  private enabled(document: vscode.TextDocument): boolean {
    return document.languageId === 'python' && readSettings().shapeLens.enabled;
  }

  private remembered(): Record<string, number[]> {
    return this.context.workspaceState.get<Record<string, number[]>>(REMEMBERED_KEY) ?? {};
  }

  /** The document's models, shapes, hints and diagnostics; computed at most once per version. */
  analysis(document: vscode.TextDocument): Analysis {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version && cached.generation === this.generation) return cached;
    const remembered = this.remembered();
    let analyzer = this.analyzers.get(key);
    if (!analyzer) this.analyzers.set(key, (analyzer = new ShapeAnalyzer()));
    const models = analyzer.analyze(document.getText(), (name) => remembered[`${key}#${name}`]);
    const analysis: Analysis = {
      version: document.version,
      generation: this.generation,
      models,
      hints: shapeHints(models),
      diagnostics: shapeDiagnostics(models),
    };
    this.cache.set(key, analysis);
    return analysis;
  }

  private invalidate(): void {
    this.generation++;
    this.changed.fire();
    for (const d of vscode.workspace.textDocuments) this.refreshDiagnostics(d);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.cache.delete(key);
    this.analyzers.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.diagnostics.delete(uri);
  }

  private scheduleDiagnostics(document: vscode.TextDocument): void {
    if (document.languageId !== 'python') return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.refreshDiagnostics(document);
      }, DIAGNOSTIC_DELAY_MS),
    );
  }

  private refreshDiagnostics(document: vscode.TextDocument): void {
    if (document.isClosed) return;
    if (!this.enabled(document)) {
      this.diagnostics.delete(document.uri);
      return;
    }
    try {
      const found = this.analysis(document).diagnostics.map((d) => {
        const diagnostic = new vscode.Diagnostic(
          this.range(document, d.range),
          d.message,
          vscode.DiagnosticSeverity.Error,
        );
        diagnostic.source = DIAGNOSTIC_SOURCE;
        diagnostic.code = DIAGNOSTIC_CODE;
        diagnostic.relatedInformation = d.related.map(
          (r) =>
            new vscode.DiagnosticRelatedInformation(
              new vscode.Location(document.uri, this.range(document, r.range)),
              r.message,
            ),
        );
        return diagnostic;
      });
      this.diagnostics.set(document.uri, found);
    } catch (e) {
      // the lens must never take the editor down: a parser bug costs the diagnostics of one file
      this.log.error(
        `shape lens failed on ${document.uri.toString()}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      this.diagnostics.delete(document.uri);
    }
  }

  private range(document: vscode.TextDocument, r: SourceRange): vscode.Range {
    return new vscode.Range(document.positionAt(r.start), document.positionAt(r.end));
  }

  private guarded<T>(what: string, document: vscode.TextDocument, fn: () => T): T | undefined {
    if (!this.enabled(document)) return undefined;
    try {
      return fn();
    } catch (e) {
      this.log.error(
        `shape lens ${what} failed on ${document.uri.toString()}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Providers

  private inlayHints(document: vscode.TextDocument, range: vscode.Range): vscode.InlayHint[] | undefined {
    if (!readSettings().shapeLens.inlayHints) return undefined;
    return this.guarded('inlay hints', document, () => {
      const from = document.offsetAt(range.start);
      const to = document.offsetAt(range.end);
      return this.analysis(document)
        .hints.filter((h) => h.offset >= from && h.offset <= to)
        .map((h) => {
          const hint = new vscode.InlayHint(document.positionAt(h.offset), h.label, vscode.InlayHintKind.Type);
          hint.paddingLeft = true;
          hint.tooltip = h.tooltip;
          return hint;
        });
    });
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    return this.guarded('hover', document, () => {
      const at = layerAt(this.analysis(document).models, document.offsetAt(position));
      if (!at) return undefined;
      const md = new vscode.MarkdownString(describeLayer(at), true);
      const steppable = at.layers.filter((l) => !('reason' in stepPlan(l)));
      if (steppable.length > 0) {
        md.isTrusted = { enabledCommands: ['convLens.stepThroughLayer'] };
        // one layer: straight to it; a block of several (a Sequential called in forward): pick one
        const block = new Set(steppable.map((l) => l.step.range.start)).size > 1;
        const args: ModelArgs = {
          uri: document.uri.toString(),
          model: at.model.model.name,
          ...(block ? {} : { layer: steppable[0].index }),
        };
        const label = block ? 'Step through a layer of this block…' : 'Step through this layer in the panel';
        md.appendMarkdown(
          `\n\n[$(debug-step-into) ${label}](command:convLens.stepThroughLayer?${encodeURIComponent(JSON.stringify([args]))} "Open the panel on the layer with input of the shape it receives")`,
        );
      }
      return new vscode.Hover(md, this.range(document, at.range));
    });
  }

  private codeLenses(document: vscode.TextDocument): vscode.CodeLens[] | undefined {
    if (!readSettings().shapeLens.codeLens) return undefined;
    return this.guarded('code lens', document, () => {
      const lenses: vscode.CodeLens[] = [];
      for (const m of this.analysis(document).models) {
        if (m.nested && m.inputSource === 'none') continue;
        const line = document.lineAt(document.positionAt(m.model.range.start).line).range;
        const args: ModelArgs = { uri: document.uri.toString(), model: m.model.name };
        const p = m.propagation;
        let title: string;
        if (!m.input) title = '$(symbol-ruler) Conv Lens: set input shape…';
        else if (p.diagnostic)
          title = `$(error) ${shapeText(m.input)} → refused at layer ${p.diagnostic.index + 1} (${p.diagnostic.step.attr ?? p.diagnostic.step.op})`;
        else title = `$(symbol-ruler) ${shapeText(m.input)} → ${shapeText(p.output)}`;
        lenses.push(
          new vscode.CodeLens(line, {
            title,
            command: 'convLens.setModelInputShape',
            arguments: [args],
            tooltip: m.input
              ? `Input shape of ${m.model.name} (${m.inputSource === 'comment' ? 'from the # conv-lens: input comment' : 'set with this command'}); click to change it`
              : `Give ${m.model.name} an input shape to see every layer's output shape`,
          }),
        );
        if (m.input && p.layers.some((l) => !('reason' in stepPlan(l)))) {
          lenses.push(
            new vscode.CodeLens(line, {
              title: '$(debug-step-into) Step through layer…',
              command: 'convLens.stepThroughLayer',
              arguments: [args],
              tooltip:
                'Open the panel on one conv or pooling layer of this model, with random input of the shape it gets',
            }),
          );
        }
      }
      return lenses;
    });
  }

  private quickFixes(
    document: vscode.TextDocument,
    range: vscode.Range | vscode.Selection,
    ctx: vscode.CodeActionContext,
  ): vscode.CodeAction[] | undefined {
    return this.guarded('quick fix', document, () => {
      const ours = ctx.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.code === DIAGNOSTIC_CODE);
      if (ours.length === 0) return [];
      const actions: vscode.CodeAction[] = [];
      for (const d of this.analysis(document).diagnostics) {
        if (!d.edit || !d.fixTitle) continue;
        const where = this.range(document, d.range);
        const diagnostic = ours.find((o) => o.range.isEqual(where));
        if (!diagnostic || !where.intersection(range)) continue;
        const action = new vscode.CodeAction(d.fixTitle, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(document.uri, this.range(document, d.edit.range), d.edit.newText);
        action.diagnostics = [diagnostic];
        action.isPreferred = true;
        actions.push(action);
      }
      return actions;
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Commands

  private async safely<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof UserCancelled) return undefined;
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`Conv Lens: ${message}`);
      return undefined;
    }
  }

  /** The document and model the command is about: its arguments, else the model at the cursor, else a pick. */
  private async target(args: ModelArgs | undefined): Promise<{ document: vscode.TextDocument; model: ModelShapes }> {
    const editor = vscode.window.activeTextEditor;
    const document = args?.uri ? await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri)) : editor?.document;
    if (!document || document.languageId !== 'python')
      throw new Error('open a Python file with a PyTorch model (nn.Sequential or an nn.Module with a forward chain)');
    const models = this.analysis(document).models;
    if (args?.model !== undefined) {
      const m = models.find((c) => c.model.name === args.model);
      if (!m)
        throw new Error(
          `there is no model named ${args.model} in ${vscode.workspace.asRelativePath(document.uri)} (found: ${models.map((c) => c.model.name).join(', ') || 'none'})`,
        );
      return { document, model: m };
    }
    if (models.length === 0)
      throw new Error(
        `no PyTorch model found in ${vscode.workspace.asRelativePath(document.uri)}: the lens reads nn.Sequential(...) chains and nn.Module classes with __init__ and forward`,
      );
    if (editor && editor.document === document) {
      const offset = document.offsetAt(editor.selection.active);
      const inside = models.filter((m) => m.model.range.start <= offset && offset <= m.model.range.end);
      // the innermost model under the cursor (a Sequential inside a class beats the class)
      if (inside.length > 0)
        return {
          document,
          model: inside.reduce((a, b) =>
            b.model.range.end - b.model.range.start < a.model.range.end - a.model.range.start ? b : a,
          ),
        };
    }
    if (models.length === 1) return { document, model: models[0] };
    const picked = await vscode.window.showQuickPick(
      models.map((m) => ({
        label: m.model.name,
        description: m.input ? shapeText(m.input) : 'no input shape',
        model: m,
      })),
      { title: 'Conv Lens: which model?', ignoreFocusOut: true },
    );
    if (!picked) throw new UserCancelled();
    return { document, model: picked.model };
  }

  private async setModelInputShape(args: ModelArgs | undefined): Promise<readonly number[] | null> {
    const { document, model } = await this.target(args);
    const key = `${document.uri.toString()}#${model.model.name}`;
    let text = args?.shape;
    if (text === undefined) {
      text = await vscode.window.showInputBox({
        title: `Conv Lens: input shape of ${model.model.name}`,
        prompt: `N×C×H×W (or N×C×L, N×C×D×H×W), e.g. 1x3x224x224.${model.model.inputShape ? ` Leave empty to use the comment's ${shapeText(model.model.inputShape)}.` : ' Leave empty to forget it.'}`,
        value: model.input ? model.input.join('x') : '',
        ignoreFocusOut: true,
        validateInput: (v) => {
          if (v.trim() === '') return null;
          try {
            parseShape(v, 'the input shape');
            return null;
          } catch (e) {
            return { message: (e as Error).message, severity: vscode.InputBoxValidationSeverity.Error };
          }
        },
      });
      if (text === undefined) throw new UserCancelled();
    }
    const remembered = { ...this.remembered() };
    let shape: number[] | null = null;
    if (text.trim() === '') delete remembered[key];
    else {
      shape = parseShape(text, 'the input shape');
      remembered[key] = shape;
    }
    await this.context.workspaceState.update(REMEMBERED_KEY, remembered);
    this.invalidate();
    return shape ?? model.model.inputShape ?? null;
  }

  private async stepThroughLayer(args: ModelArgs | undefined): Promise<unknown> {
    const { model } = await this.target(args);
    if (!model.input)
      throw new Error(
        `${model.model.name} has no input shape yet: add a \`# conv-lens: input 1x3x224x224\` comment above it, or run Conv Lens: Set Model Input Shape`,
      );
    const candidates = model.propagation.layers
      .map((layer) => ({ layer, plan: stepPlan(layer) }))
      .filter((c): c is { layer: typeof c.layer; plan: StepPlan } => !('reason' in c.plan));
    let chosen: { layer: (typeof model.propagation.layers)[number]; plan: StepPlan } | undefined;
    if (args?.layer !== undefined) {
      const layer = model.propagation.layers[args.layer];
      if (!layer)
        throw new Error(
          `${model.model.name} has ${model.propagation.layers.length} layers with a known input; layer must be 0…${model.propagation.layers.length - 1}, not ${args.layer}`,
        );
      const plan = stepPlan(layer);
      if ('reason' in plan) throw new Error(`cannot step through layer ${args.layer + 1}: ${plan.reason}`);
      chosen = { layer, plan };
    } else {
      if (candidates.length === 0)
        throw new Error(`${model.model.name} has no conv or pooling layer with a known input to step through`);
      const picked = await vscode.window.showQuickPick(
        candidates.map((c) => ({
          label: `${c.layer.index + 1}. ${c.layer.step.attr ? `self.${c.layer.step.attr}` : c.layer.step.op}`,
          description: `${shapeText(c.layer.input)} → ${shapeText(c.layer.output)}`,
          detail: c.layer.step.text.replace(/\s+/g, ' '),
          candidate: c,
        })),
        {
          title: `Conv Lens: step through which layer of ${model.model.name}?`,
          matchOnDetail: true,
          ignoreFocusOut: true,
        },
      );
      if (!picked) throw new UserCancelled();
      chosen = picked.candidate;
    }
    const { plan } = chosen;
    const needed = plan.inputShape.reduce((a, b) => a * b, 1);
    const layerName = `layer ${chosen.layer.index + 1} (${chosen.layer.step.attr ?? chosen.layer.step.op})`;
    /** a chosen tensor, read in the layer's input shape: only the element count has to match */
    const reshaped = (tensor: Tensor, what: string): unknown[] => {
      if (tensor.data.length !== needed) {
        throw new Error(
          `${what} has ${tensor.data.length} elements (${shapeText(tensor.shape)}), but ${layerName} takes ${shapeText(plan.inputShape)} = ${needed}: give it ${needed} numbers, or pick random input`,
        );
      }
      return toNested({ shape: plan.inputShape, data: tensor.data }) as unknown[];
    };
    let fill = args?.fill;
    if (fill === undefined) {
      const stored = this.store.get('input');
      const items: (vscode.QuickPickItem & { fill: Fill | 'stored' | 'typed' })[] = [
        { label: 'Random integers −2…2', description: 'every product readable in the panel', fill: 'integers' },
        { label: 'Random normal N(0, 1)', description: 'three decimals, closer to real activations', fill: 'normal' },
        {
          label: '$(edit) Type or paste the input…',
          description: `a matrix literal with ${needed} numbers`,
          fill: 'typed',
        },
      ];
      if (stored)
        items.push({
          label: `The input you set: ${stored.label}`,
          description: `${shapeText(stored.tensor.shape)}; the layer takes ${shapeText(plan.inputShape)}`,
          fill: 'stored',
        });
      const picked = await vscode.window.showQuickPick(items, {
        title: `Conv Lens: input of shape ${shapeText(plan.inputShape)} for ${layerName}`,
        ignoreFocusOut: true,
      });
      if (!picked) throw new UserCancelled();
      fill = picked.fill;
    }
    const max = readSettings().maxElements;
    if (needed > max) {
      throw new Error(
        `${layerName} takes ${shapeText(plan.inputShape)} = ${needed.toLocaleString('en-US')} elements, more than convLens.limits.maxElements (${max.toLocaleString('en-US')}): raise the setting, or give the model a smaller input shape`,
      );
    }
    const seed = chosen.layer.index + 1;
    const valueFill: Fill = fill === 'normal' ? 'normal' : 'integers';
    let input: unknown[];
    if (fill === 'stored') {
      const stored = this.store.get('input');
      if (!stored)
        throw new Error('no input is set: use Conv Lens: Set Selection as Input first, or pick random input');
      input = reshaped(stored.tensor, `the input you set (${stored.label})`);
    } else if (fill === 'typed') {
      let text = args?.literal;
      if (text === undefined) {
        text = await vscode.window.showInputBox({
          title: `Conv Lens: input for ${layerName}`,
          ignoreFocusOut: true,
          prompt: `${needed} numbers as a matrix literal; they are read in the layer's input shape ${shapeText(plan.inputShape)}`,
          validateInput: (value) => {
            if (value.trim() === '') return null;
            const r = parseLiteral(value, { maxElements: max });
            if (!r.ok) return { message: r.error.message, severity: vscode.InputBoxValidationSeverity.Error };
            const n = r.literal.tensor.data.length;
            return n === needed
              ? null
              : {
                  message: `${n} numbers; ${layerName} takes ${needed} (${shapeText(plan.inputShape)})`,
                  severity: vscode.InputBoxValidationSeverity.Error,
                };
          },
        });
        if (text === undefined || text.trim() === '') throw new UserCancelled();
      }
      const r = parseLiteral(text, { maxElements: max });
      if (!r.ok) throw new Error(`the input is not a valid matrix literal: ${r.error.message}`);
      input = reshaped(r.literal.tensor, 'the typed input');
    } else input = randomNested(plan.inputShape, valueFill, seed);
    let params = plan.params;
    if (plan.command === 'convLens.convolve') {
      // a PyTorch layer cross-correlates, whatever convLens.defaultMode says
      const extra = ['flip=False'];
      if (plan.biasChannels > 0)
        extra.push(`bias=[${(randomNested([plan.biasChannels], valueFill, seed + 2) as number[]).join(', ')}]`);
      params = [params, ...extra].filter((p) => p !== '').join(', ');
    }
    const commandArgs = {
      input,
      ...(plan.weightShape ? { kernel: randomNested(plan.weightShape, valueFill, seed + 1) } : {}),
      params,
    };
    return vscode.commands.executeCommand(plan.command, commandArgs);
  }
}
