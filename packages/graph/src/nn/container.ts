// torch.nn containers: Sequential (children '0', '1', ... applied in order) and ModuleList.
import { Diff2in1Error } from '@diff2in1/tensor';
import type { Value } from '../ir/graph.js';
import { Module, type UnaryModule } from './module.js';

export class Sequential extends Module implements UnaryModule {
  readonly layers: UnaryModule[];
  constructor(...layers: UnaryModule[]) {
    super();
    this.layers = layers.map((m, i) => this.addModule(String(i), m));
  }

  forward(x: Value): Value {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}

export class ModuleList<M extends Module = Module> extends Module {
  readonly #items: M[] = [];

  constructor(items: readonly M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): M {
    this.#items.push(this.addModule(String(this.#items.length), m));
    return m;
  }

  at(i: number): M {
    const m = this.#items[i];
    if (!m) throw new Diff2in1Error('graph', `ModuleList '${this.path}': index ${i} out of range (length ${this.#items.length})`);
    return m;
  }

  get length(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
