import type { Db, Tx } from '../db';

// The runner writes every finished item; at a few hundred items a second one transaction each
// would take the database's write lock as often, and with workers in processes of their own
// every web request that writes would meet it held. Writes that come within a few
// milliseconds of each other share one transaction instead. Each keeps its own answer; if the
// shared transaction fails, every write in it fails with that error.

/** How long a write waits for others to share its transaction. */
export const WRITE_WINDOW_MS = 10;

type Pending = {
	work: (tx: Tx) => Promise<unknown>;
	resolve: (value: unknown) => void;
	reject: (error: unknown) => void;
};

export function batchedWrites(db: Db, windowMs = WRITE_WINDOW_MS) {
	let pending: Pending[] = [];
	let timer: ReturnType<typeof setTimeout> | null = null;

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
			timer ??= setTimeout(() => void flush(), windowMs);
		});
	};
}
