import type { Db, Tx } from '../db';

// The runner writes every finished item; at a few hundred items a second one transaction each
// would take the database's write lock as often, and with workers in processes of their own
// every web request that writes would meet it held. Writes asked for in the same turn of the
// event loop (the calls that ended together) share one transaction instead. Each keeps its own
// answer; if the shared transaction fails, every write in it fails with that error.
//
// A window of a few milliseconds would gather more writes per transaction, but an answered
// item counts as running for the other workers until its write lands: at 10 ms the
// distillation benchmark's efficiency fell from 0.88 to 0.76 (when the item's own worker also
// held its slot until then), and at 25 ms it still fell. The next turn costs nothing measurable.

type Pending = {
	work: (tx: Tx) => Promise<unknown>;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
};

export function batchedWrites(db: Db) {
	let pending: Pending[] = [];
	let timer: ReturnType<typeof setImmediate> | null = null;

	async function flush() {
		timer = null;
		const batch = pending;
		pending = [];
		try {
			const results = await db.transaction(async (tx) => {
				const answers: unknown[] = [];
				for (const one of batch) answers.push(await one.work(tx));
				return answers;
			});
			batch.forEach((one, i) => one.resolve(results[i]));
		} catch (e) {
			for (const one of batch) one.reject(e);
		}
	}

	return function write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
			timer ??= setImmediate(() => void flush());
		});
	};
}
