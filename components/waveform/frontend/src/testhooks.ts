/**
 * Hooks that tests and benchmarks read (`window.__wfDebug()` and the like).
 * They exist only when Python asks for them (`test_hooks` in the args, set
 * when the server runs with EARMARK_TEST_HOOKS=1, as the test suite and the
 * benchmarks start it): a production page exposes nothing on `window`.
 */
let enabled = false;
const waiting: [string, unknown][] = [];

/** Offer a hook; it is put on `window` once hooks are enabled (now, or at the first args that enable them). */
export function expose(name: string, value: unknown): void {
  if (enabled) (window as unknown as Record<string, unknown>)[name] = value;
  else waiting.push([name, value]);
}

/** Called with each args: the first that say `test_hooks` put every offered hook in place. */
export function enableHooks(wanted: unknown): void {
  if (enabled || wanted !== true) return;
  enabled = true;
  for (const [name, value] of waiting.splice(0)) (window as unknown as Record<string, unknown>)[name] = value;
}

export function hooksEnabled(): boolean {
  return enabled;
}
