// Child process for the kill -9 tests: runs one stage from the BUILT package (dist/) with settings from a JSON
// argument, exactly as the in-process reference run does. Usage: node run-stage.mjs '<json>'
import { openFolder } from '@diff2in1/datasets';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import { runSelfImprove, runWarmup } from '../../dist/index.js';

const a = JSON.parse(process.argv[2]);
const sd = await loadStableDiffusion('tiny', { device: 'cpu', threads: 1, cacheDir: a.sdCache });
const train = await openFolder(a.data, { split: 'train', tasks: ['normals'] });
const test = await openFolder(a.data, { split: 'test', tasks: ['normals'] });
const common = { backbone: sd, train, test, out: a.out, session: { device: 'cpu', intraOpThreads: 1 }, quiet: true, ...a.options };
if (a.stage === 'warmup') await runWarmup(common);
else await runSelfImprove({ ...common, synthetic: await openFolder(a.synthetic, { split: 'train', tasks: [] }), warmup: a.warmup });
await sd.dispose();
