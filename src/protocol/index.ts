/**
 * The one protocol between the extension host and the panel's webview, imported by both `src/` and
 * `webview/` (and by the engine's trace builders, for the step types); it imports nothing from either side.
 *   steps.ts     one step of each animation, as objects
 *   pages.ts     pages of steps packed into typed arrays for the trip, and unpacked
 *   view.ts      PanelView: a result, its tensors and its trace (one variant per kind of view)
 *   messages.ts  the messages each way, with request ids for replies
 *   floats.ts    float columns as float32 on the wire when that is exact
 *   guards.ts    the runtime checks both sides apply to everything that crosses
 */
export * from './floats';
export * from './guards';
export * from './messages';
export * from './pages';
export * from './steps';
export * from './view';
