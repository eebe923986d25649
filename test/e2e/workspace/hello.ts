// Used by driver.e2e.mjs to check the e2e driver against VS Code's built-in TypeScript support.
export const greeting = 'hello';
export function shout(text: string): string {
  return text.toUpperCase();
}
