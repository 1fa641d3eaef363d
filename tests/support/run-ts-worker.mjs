// Worker threads start without the TypeScript loader the tests run under; register it, then
// run the TypeScript worker named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
