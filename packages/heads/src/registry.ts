// The task-network registry: ids → plugins. Plugin packages register themselves when imported
// (`import '@diff2in1/head-bae'`), so a third-party head is one import away.
import { Diff2in1Error, choices } from '@diff2in1/tensor';
import type { TaskNetworkPluginV1 } from './spec.js';

const plugins = new Map<string, TaskNetworkPluginV1<object>>();

/** Ids are lower-case words joined by '-' or '/', e.g. 'bae', 'acme/head-x'. */
export const PLUGIN_ID = /^[a-z0-9]+([-/][a-z0-9]+)*$/;

/**
 * Adds a plugin. Registering the same object twice is a no-op (module re-evaluation); a different plugin under
 * a taken id throws unless `replace` is set.
 */
export function registerTaskNetwork<HP extends object>(plugin: TaskNetworkPluginV1<HP>, opts: { replace?: boolean } = {}): void {
  const p = plugin as unknown as TaskNetworkPluginV1<object>;
  if (p.specVersion !== 1) throw new Diff2in1Error('heads', `plugin '${String(p.id)}': specVersion ${String(p.specVersion)} is not supported; this registry implements TaskNetworkV1 (specVersion: 1)`);
  if (typeof p.id !== 'string' || !PLUGIN_ID.test(p.id)) throw new Diff2in1Error('heads', `plugin id '${String(p.id)}' is not valid: lower-case letters and digits, words joined by '-' or '/'`);
  if (typeof p.create !== 'function') throw new Diff2in1Error('heads', `plugin '${p.id}': create(hyperParameters) is missing`);
  const had = plugins.get(p.id);
  if (had && had !== p && !opts.replace) throw new Diff2in1Error('heads', `a task network with id '${p.id}' is already registered (${had.description}); pass { replace: true } to override it`);
  plugins.set(p.id, p);
}

/** The plugin registered under `id`; the error lists the registered ids. */
export function getTaskNetwork<HP extends object = Record<string, unknown>>(id: string): TaskNetworkPluginV1<HP> {
  const p = plugins.get(id);
  if (!p) {
    const ids = [...plugins.keys()].sort();
    throw new Diff2in1Error('heads', `no task network '${id}' is registered; ${ids.length ? choices(ids) : 'none are registered'} (plugin packages register when imported, e.g. import '@diff2in1/head-bae')`);
  }
  return p as unknown as TaskNetworkPluginV1<HP>;
}

/** Registered plugins, sorted by id. */
export function listTaskNetworks(): TaskNetworkPluginV1<object>[] {
  return [...plugins.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Removes a plugin (tests). */
export function unregisterTaskNetwork(id: string): boolean {
  return plugins.delete(id);
}
