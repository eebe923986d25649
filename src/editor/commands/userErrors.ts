/**
 * How a command ends when it does not succeed: the person cancelled (nothing to say), or something they
 * can fix (a message saying what), or a bug (a message pointing at the log). Every command runs in `safely`.
 */
import * as vscode from 'vscode';
import { summarisedWhenSerialised } from '../commandReturn';

/** The person closed a prompt or pressed Cancel: the command stops without a message. */
export class UserCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Something the person can fix: shown as it is, logged as a warning. */
export class UserFacingError extends Error {}

/** Runs `fn`, turning its failures into messages; never lets an exception escape to VS Code. */
export async function safely<T>(
  log: vscode.LogOutputChannel,
  name: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return summarisedWhenSerialised(await fn());
  } catch (e) {
    if (e instanceof UserCancelled) return undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof UserFacingError) {
      log.warn(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`Conv Lens: ${message}`);
    } else {
      log.error(`${name} failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
      void vscode.window.showErrorMessage(
        `Conv Lens: ${name} failed: ${message}. The "Conv Lens" output channel has the details.`,
      );
    }
    return undefined;
  }
}
