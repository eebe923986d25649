/**
 * The shape lens in the editor: inlay hints with each layer's output shape, a hover with the formula,
 * a diagnostic at the first layer PyTorch would refuse (with its quick fix), code lenses on each model,
 * and two commands (set a model's input; step through one of its layers in the panel).
 *
 * A thin adapter: everything it shows comes from src/shapeLens/analyze.ts, computed once per document
 * version and shared by every provider. Python files, and the Python cells of notebooks, where a cell is
 * read with the code cells above it (their imports and helpers are the cell's, as when the notebook runs).
 */
import * as vscode from 'vscode';
import type { Tensor } from '../engine/tensor';
import { parseLiteral } from '../parse';
import { readSettings } from './settings';
import type { OperandStore } from './operandStore';
import {
  describeLayer,
  formatInputSpec,
  inputText,
  layerAt,
  parseInputSpec,
  randomTensor,
  recordName,
  shapeDiagnostics,
  shapeHints,
  shapeText,
  stepPlan,
  ShapeAnalyzer,
  type Fill,
  type InputSpec,
  type LayerRecord,
  type LensDiagnostic,
  type ModelShapes,
  type ShapeHint,
  type SourceRange,
  type StepPlan,
} from '../shapeLens/analyze';
import { UserCancelled } from './commands/userErrors';
import { summarisedWhenSerialised } from './commandReturn';

export const SHAPE_LENS_SELECTOR: vscode.DocumentSelector = { language: 'python' };
const DIAGNOSTIC_SOURCE = 'Conv Lens';
const DIAGNOSTIC_CODE = 'shape-mismatch';
/** workspaceState key: { "<document uri>#<model name>": "1x3x224x224 as ResNet(…)" } */
const REMEMBERED_KEY = 'convLens.shapeLens.inputShapes';
/** quiet time after the last keystroke before the diagnostics are recomputed */
const DIAGNOSTIC_DELAY_MS = 250;

/** Arguments of convLens.setModelInputShape and convLens.stepThroughLayer (code lenses, hovers, tests). */
export interface ModelArgs {
  readonly uri?: string;
  readonly model?: string;
  /** setModelInputShape: "1x3x224x224", "1x128x32x32, 1x64x64x64", "1x3x224x224 as ResNet(…)", or "" to forget it */
  readonly shape?: string;
  /** stepThroughLayer: the 0-based index of the layer call in the model's run */
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

/** The text the lens reads for a document: a notebook cell comes after the code cells above it. */
interface Source {
  readonly text: string;
  /** where the document's own text starts in `text` */
  readonly offset: number;
  /** the documents `text` is made of, in order (for positions in the cells above) */
  readonly parts: readonly { readonly document: vscode.TextDocument; readonly start: number }[];
}

interface Analysis {
  readonly version: string;
  readonly generation: number;
  readonly source: Source;
  /** the models of this document (not those of the cells above) */
  readonly models: readonly ModelShapes[];
  /** every model the text holds, for hovers on helpers defined above */
  readonly all: readonly ModelShapes[];
  readonly hints: readonly ShapeHint[];
  readonly diagnostics: readonly LensDiagnostic[];
}

export class ShapeLens implements vscode.Disposable {
  private readonly cache = new Map<string, Analysis>();
  /** one per open document: it keeps the runs of models an edit did not touch */
  private readonly analyzers = new Map<string, ShapeAnalyzer>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('conv-lens-shapes');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** bumped when a remembered input or a setting changes: every cached analysis is stale */
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
        { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
      ),
      vscode.workspace.onDidOpenTextDocument((d) => this.refreshDiagnostics(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.onNotebookEdit(e.notebook)),
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

  private remembered(): Record<string, string | number[]> {
    return this.context.workspaceState.get<Record<string, string | number[]>>(REMEMBERED_KEY) ?? {};
  }

  private rememberedSpec(key: string): InputSpec | undefined {
    const v = this.remembered()[key];
    if (v === undefined) return undefined;
    try {
      // before 0.2 a shape was remembered as a number array
      return Array.isArray(v) ? { shapes: [v] } : parseInputSpec(v);
    } catch {
      return undefined;
    }
  }

  /** The notebook a cell belongs to, and the code cells above it. */
  private source(document: vscode.TextDocument): Source {
    if (document.uri.scheme === 'vscode-notebook-cell') {
      for (const nb of vscode.workspace.notebookDocuments) {
        const cells = nb.getCells();
        const i = cells.findIndex((c) => c.document === document);
        if (i < 0) continue;
        const parts: { document: vscode.TextDocument; start: number }[] = [];
        let text = '';
        for (const c of cells.slice(0, i)) {
          if (c.kind !== vscode.NotebookCellKind.Code || c.document.languageId !== 'python') continue;
          parts.push({ document: c.document, start: text.length });
          text += `${c.document.getText()}\n`;
        }
        parts.push({ document, start: text.length });
        const offset = text.length;
        return { text: text + document.getText(), offset, parts };
      }
    }
    return { text: document.getText(), offset: 0, parts: [{ document, start: 0 }] };
  }

  private versionOf(document: vscode.TextDocument, source: Source): string {
    return (
      source.parts.map((p) => `${p.document.uri.toString()}@${p.document.version}`).join('|') ||
      String(document.version)
    );
  }

  /** The document's models, shapes, hints and diagnostics; computed at most once per version. */
  analysis(document: vscode.TextDocument): Analysis {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.generation === this.generation) {
      // a notebook cell is stale when a cell above it changed
      if (cached.version === this.versionOf(document, cached.source)) return cached;
    }
    const source = this.source(document);
    let analyzer = this.analyzers.get(key);
    if (!analyzer) this.analyzers.set(key, (analyzer = new ShapeAnalyzer()));
    const all = analyzer.analyze(source.text, (name) => this.rememberedSpec(`${key}#${name}`));
    const mine = (r: SourceRange) => r.start >= source.offset;
    const models = all.filter((m) => mine(m.model.range));
    const analysis: Analysis = {
      version: this.versionOf(document, source),
      generation: this.generation,
      source,
      models,
      all,
      hints: shapeHints(all).filter((h) => h.offset >= source.offset),
      diagnostics: shapeDiagnostics(all).filter((d) => mine(d.range)),
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

  private onEdit(document: vscode.TextDocument): void {
    if (document.languageId !== 'python') return;
    this.scheduleDiagnostics(document);
  }

  /** An edit in a notebook: the cells below the edited one read it too. */
  private onNotebookEdit(notebook: vscode.NotebookDocument): void {
    for (const c of notebook.getCells()) if (c.document.languageId === 'python') this.scheduleDiagnostics(c.document);
    this.changed.fire();
  }

  private scheduleDiagnostics(document: vscode.TextDocument): void {
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
      const a = this.analysis(document);
      const found = a.diagnostics.map((d) => {
        const diagnostic = new vscode.Diagnostic(this.range(a, d.range), d.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = DIAGNOSTIC_SOURCE;
        diagnostic.code = DIAGNOSTIC_CODE;
        diagnostic.relatedInformation = d.related.map(
          (r) => new vscode.DiagnosticRelatedInformation(this.location(a, r.range), r.message),
        );
        return diagnostic;
      });
      this.diagnostics.set(document.uri, found);
    } catch (e) {
      // the lens must never take the editor down: a lens bug costs the diagnostics of one file
      this.log.error(
        `shape lens failed on ${document.uri.toString()}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      this.diagnostics.delete(document.uri);
    }
  }

  /** A range of the analysed text in the document itself (the cells above map to their own documents). */
  private range(a: Analysis, r: SourceRange): vscode.Range {
    return this.location(a, r).range;
  }

  private location(a: Analysis, r: SourceRange): vscode.Location {
    const parts = a.source.parts;
    let part = parts[parts.length - 1];
    for (const p of parts) if (p.start <= r.start) part = p;
    const doc = part.document;
    return new vscode.Location(
      doc.uri,
      new vscode.Range(doc.positionAt(r.start - part.start), doc.positionAt(r.end - part.start)),
    );
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
      const a = this.analysis(document);
      const from = document.offsetAt(range.start) + a.source.offset;
      const to = document.offsetAt(range.end) + a.source.offset;
      return a.hints
        .filter((h) => h.offset >= from && h.offset <= to)
        .map((h) => {
          const hint = new vscode.InlayHint(
            document.positionAt(h.offset - a.source.offset),
            h.label,
            vscode.InlayHintKind.Type,
          );
          hint.paddingLeft = true;
          hint.tooltip = h.tooltip;
          return hint;
        });
    });
  }

  private hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    return this.guarded('hover', document, () => {
      const a = this.analysis(document);
      const at = layerAt(a.all, document.offsetAt(position) + a.source.offset);
      if (!at || at.range.start < a.source.offset) return undefined;
      const md = new vscode.MarkdownString(describeLayer(at), true);
      const steppable = at.layers.filter((l) => !('reason' in stepPlan(l)));
      if (steppable.length > 0) {
        md.isTrusted = { enabledCommands: ['convLens.stepThroughLayer'] };
        // one layer call: straight to it; several (a block called in forward, a helper): pick one
        const args: ModelArgs = {
          uri: document.uri.toString(),
          model: at.model.model.name,
          ...(steppable.length === 1 ? { layer: steppable[0].index } : {}),
        };
        const label =
          steppable.length === 1 ? 'Step through this layer in the panel' : 'Step through one of these layers…';
        md.appendMarkdown(
          `\n\n[$(debug-step-into) ${label}](command:convLens.stepThroughLayer?${encodeURIComponent(JSON.stringify([args]))} "Open the panel on the layer with input of the shape it receives")`,
        );
      }
      return new vscode.Hover(md, this.range(a, at.range));
    });
  }

  private codeLenses(document: vscode.TextDocument): vscode.CodeLens[] | undefined {
    if (!readSettings().shapeLens.codeLens) return undefined;
    return this.guarded('code lens', document, () => {
      const a = this.analysis(document);
      const lenses: vscode.CodeLens[] = [];
      for (const m of a.models) {
        if (m.nested && m.inputSource === 'none') continue;
        const line = document.lineAt(this.range(a, m.model.range).start.line).range;
        const args: ModelArgs = { uri: document.uri.toString(), model: m.model.name };
        const run = m.run;
        let title: string;
        let tooltip: string;
        if (!m.input) {
          title = '$(symbol-ruler) Conv Lens: set input shape…';
          tooltip = `Give ${m.model.name} an input shape (and, if its constructor needs arguments, how to build it) to see every layer's output shape`;
        } else if (run.diagnostic) {
          const l = run.layers[run.diagnostic.index];
          title = `$(error) ${inputText(m.input)} → refused at ${l ? (l.path ?? l.op) : 'a layer'}`;
          tooltip = `${run.diagnostic.torch}\n${run.diagnostic.fix}`;
        } else if (!run.outputs) {
          title = `$(question) ${inputText(m.input)} → unknown`;
          tooltip = `Output unknown: ${run.unknown ?? 'not followed'}`;
        } else {
          title = `$(symbol-ruler) ${inputText(m.input)} → ${run.outputs.map(shapeText).join(', ')}`;
          tooltip = `Input of ${m.model.name}${m.input.as ? ` built as ${m.input.as}` : ''} (${m.inputSource === 'comment' ? 'from the # conv-lens: input comment' : 'set with this command'}); analysed as in model.eval(). Click to change it.`;
        }
        // the shape set with the command wins over the comment: say so where both are, so nobody wonders
        const comment = m.model.inputSpec;
        if (m.input && m.inputSource !== 'comment' && comment) {
          title += ` · set with Set Model Input Shape (the comment's ${inputText(comment)} is not used)`;
          tooltip += `\nThe shape set with Set Model Input Shape wins over the # conv-lens comment; run it with an empty box to go back to the comment's ${inputText(comment)}.`;
        }
        lenses.push(
          new vscode.CodeLens(line, { title, command: 'convLens.setModelInputShape', arguments: [args], tooltip }),
        );
        if (m.input && run.layers.some((l) => !('reason' in stepPlan(l)))) {
          lenses.push(
            new vscode.CodeLens(line, {
              title: '$(debug-step-into) Step through layer…',
              command: 'convLens.stepThroughLayer',
              arguments: [args],
              tooltip: 'Open the panel on one conv or pooling layer of this model, with input of the shape it gets',
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
      const a = this.analysis(document);
      const actions: vscode.CodeAction[] = [];
      for (const d of a.diagnostics) {
        if (!d.edit || !d.fixTitle || d.edit.range.start < a.source.offset) continue;
        const where = this.range(a, d.range);
        const diagnostic = ours.find((o) => o.range.isEqual(where));
        if (!diagnostic || !where.intersection(range)) continue;
        const action = new vscode.CodeAction(d.fixTitle, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(document.uri, this.range(a, d.edit.range), d.edit.newText);
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
      return summarisedWhenSerialised(await fn());
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
      throw new Error('open a Python file with a PyTorch model (an nn.Module class or an nn.Sequential)');
    const a = this.analysis(document);
    const models = a.models;
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
        `no PyTorch model found in ${vscode.workspace.asRelativePath(document.uri)}: the lens reads nn.Module classes and module-level nn.Sequential(...) models`,
      );
    if (editor && editor.document === document) {
      const offset = document.offsetAt(editor.selection.active) + a.source.offset;
      const inside = models.filter((m) => m.model.range.start <= offset && offset <= m.model.range.end);
      // the innermost model under the cursor (a Sequential inside a class beats the class)
      if (inside.length > 0)
        return {
          document,
          model: inside.reduce((x, y) =>
            y.model.range.end - y.model.range.start < x.model.range.end - x.model.range.start ? y : x,
          ),
        };
    }
    if (models.length === 1) return { document, model: models[0] };
    const picked = await vscode.window.showQuickPick(
      models.map((m) => ({
        label: m.model.name,
        description: m.input ? inputText(m.input) : 'no input shape',
        model: m,
      })),
      { title: 'Conv Lens: which model?', ignoreFocusOut: true },
    );
    if (!picked) throw new UserCancelled();
    return { document, model: picked.model };
  }

  private async setModelInputShape(args: ModelArgs | undefined): Promise<InputSpec | null> {
    const { document, model } = await this.target(args);
    const key = `${document.uri.toString()}#${model.model.name}`;
    let text = args?.shape;
    if (text === undefined) {
      const fromComment = model.model.inputSpec;
      text = await vscode.window.showInputBox({
        title: `Conv Lens: input of ${model.model.name}`,
        prompt: `One shape per input of forward (N×C×H×W: 1x3x224x224; two inputs: 1x128x32x32, 1x64x64x64), then \`as ${model.model.name}(…)\` if its constructor needs arguments.${fromComment ? ` Leave empty to use the comment's ${formatInputSpec(fromComment)}.` : ' Leave empty to forget it.'}`,
        placeHolder: `1x3x224x224 as ${model.model.name}(…)`,
        value: model.input ? formatInputSpec(model.input) : '',
        ignoreFocusOut: true,
        validateInput: (v) => {
          if (v.trim() === '') return null;
          try {
            parseInputSpec(v);
            return null;
          } catch (e) {
            return { message: (e as Error).message, severity: vscode.InputBoxValidationSeverity.Error };
          }
        },
      });
      if (text === undefined) throw new UserCancelled();
    }
    const remembered = { ...this.remembered() };
    let spec: InputSpec | null = null;
    if (text.trim() === '') delete remembered[key];
    else {
      spec = parseInputSpec(text);
      remembered[key] = formatInputSpec(spec);
    }
    await this.context.workspaceState.update(REMEMBERED_KEY, remembered);
    this.invalidate();
    return spec ?? model.model.inputSpec ?? null;
  }

  private async stepThroughLayer(args: ModelArgs | undefined): Promise<unknown> {
    const { model } = await this.target(args);
    if (!model.input)
      throw new Error(
        `${model.model.name} has no input shape yet: add a \`# conv-lens: input 1x3x224x224\` comment above it, or run Conv Lens: Set Model Input Shape`,
      );
    const layers = model.run.layers;
    const candidates = layers
      .map((layer) => ({ layer, plan: stepPlan(layer) }))
      .filter((c): c is { layer: LayerRecord; plan: StepPlan } => !('reason' in c.plan));
    let chosen: { layer: LayerRecord; plan: StepPlan } | undefined;
    if (args?.layer !== undefined) {
      const layer = layers[args.layer];
      if (!layer)
        throw new Error(
          `${model.model.name} makes ${layers.length} layer calls; layer must be 0…${layers.length - 1}, not ${args.layer}`,
        );
      const plan = stepPlan(layer);
      if ('reason' in plan)
        throw new Error(`cannot step through call ${args.layer + 1} (${recordName(layer)}): ${plan.reason}`);
      chosen = { layer, plan };
    } else {
      if (candidates.length === 0)
        throw new Error(`${model.model.name} has no conv or pooling layer with a known input to step through`);
      const picked = await vscode.window.showQuickPick(
        candidates.map((c) => ({
          label: `${c.layer.index + 1}. ${recordName(c.layer)}`,
          description: `${shapeText(c.layer.input)} → ${shapeText(c.layer.output)}`,
          detail: c.plan.params,
          candidate: c,
        })),
        {
          title: `Conv Lens: step through which layer of ${model.model.name}?`,
          matchOnDescription: true,
          ignoreFocusOut: true,
        },
      );
      if (!picked) throw new UserCancelled();
      chosen = picked.candidate;
    }
    const { plan } = chosen;
    const needed = plan.inputShape.reduce((x, y) => x * y, 1);
    const layerName = `layer call ${chosen.layer.index + 1} (${recordName(chosen.layer)})`;
    /** a chosen tensor, read in the layer's input shape: only the element count has to match */
    const reshaped = (tensor: Tensor, what: string): Tensor => {
      if (tensor.data.length !== needed)
        throw new Error(
          `${what} has ${tensor.data.length} elements (${shapeText(tensor.shape)}), but ${layerName} takes ${shapeText(plan.inputShape)} = ${needed}: give it ${needed} numbers, or pick random input`,
        );
      return { shape: plan.inputShape, data: tensor.data };
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
    if (needed > max)
      throw new Error(
        `${layerName} takes ${shapeText(plan.inputShape)} = ${needed.toLocaleString('en-US')} elements, more than convLens.limits.maxElements (${max.toLocaleString('en-US')}): raise the setting, or give the model a smaller input shape`,
      );
    const seed = chosen.layer.index + 1;
    const valueFill: Fill = fill === 'normal' ? 'normal' : 'integers';
    let input: Tensor;
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
    } else input = randomTensor(plan.inputShape, valueFill, seed);
    let params = plan.params;
    if (plan.command === 'convLens.convolve') {
      // a PyTorch layer cross-correlates, whatever convLens.defaultMode says
      const extra = ['flip=False'];
      if (plan.biasChannels > 0)
        extra.push(`bias=[${Array.from(randomTensor([plan.biasChannels], valueFill, seed + 2).data).join(', ')}]`);
      params = [params, ...extra].filter((p) => p !== '').join(', ');
    }
    const commandArgs = {
      input,
      ...(plan.weightShape ? { kernel: randomTensor(plan.weightShape, valueFill, seed + 1) } : {}),
      params,
    };
    // the panel opens through the operation commands (src/editor/commands): .convolve, .transposedConvolution, .maxPool, .avgPool
    return vscode.commands.executeCommand(plan.command, commandArgs);
  }
}
