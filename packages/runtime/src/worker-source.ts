// The worker's program, kept as plain CommonJS text and started with `new Worker(source, { eval: true })`. That way
// the same code runs under vitest (TypeScript sources, no build) and from dist, with no extra file to ship or copy.
// The worker imports onnxruntime-node by the absolute path the main thread resolved, so it needs no module
// resolution of its own.
//
// Protocol (one message in, one message out, matched by id):
//   { id, op: 'load', path | bytes, options }  -> { id, ok, inputs, outputs }   (ORT value metadata)
//   { id, op: 'run', feeds: {name: {dtype, dims, data}}, fetches? } -> { id, ok, outputs: {name: {type, dims, data}} }
//   { id, op: 'release' } -> { id, ok }
//   failures -> { id, ok: false, op, error: { name, message } }
// Output buffers are transferred back (never copied); SharedArrayBuffer-backed data is shared, not transferred.
export const WORKER_SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
function meta(list) {
  return list.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: m.shape } : { name: m.name, isTensor: false }));
}
async function handle(msg) {
  if (msg.op === 'load') {
    session = await ort.InferenceSession.create(msg.path !== undefined ? msg.path : msg.bytes, msg.options);
    return [{ inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) }, []];
  }
  if (msg.op === 'run') {
    if (!session) throw new Error('no session loaded');
    const feeds = {};
    for (const name of Object.keys(msg.feeds)) {
      const f = msg.feeds[name];
      // The binding rejects SharedArrayBuffer memory: copy such feeds once (regular buffers arrive moved or cloned).
      const shared = typeof SharedArrayBuffer !== 'undefined' && f.data.buffer instanceof SharedArrayBuffer;
      feeds[name] = new ort.Tensor(f.dtype, shared ? f.data.slice() : f.data, f.dims);
    }
    const out = msg.fetches ? await session.run(feeds, msg.fetches) : await session.run(feeds);
    const outputs = {};
    const transfer = [];
    const seen = new Set();
    for (const name of Object.keys(out)) {
      const t = out[name];
      const data = t.data;
      outputs[name] = { type: t.type, dims: t.dims, data };
      const buf = data.buffer;
      if (!(typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer) && !seen.has(buf)) {
        seen.add(buf);
        transfer.push(buf);
      }
    }
    return [{ outputs }, transfer];
  }
  if (msg.op === 'release') {
    const s = session;
    session = undefined;
    if (s) await s.release();
    return [{}, []];
  }
  throw new Error('unknown op ' + msg.op);
}
parentPort.on('message', (msg) => {
  handle(msg).then(
    ([result, transfer]) => parentPort.postMessage(Object.assign({ id: msg.id, ok: true }, result), transfer),
    (e) => parentPort.postMessage({ id: msg.id, ok: false, op: msg.op, error: { name: (e && e.name) || 'Error', message: String((e && e.message) || e) } }),
  );
});
`;
