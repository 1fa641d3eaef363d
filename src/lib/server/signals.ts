import { eq, sql } from 'drizzle-orm';
import type { Db } from './db';
import { wakeSignal } from './db/schema';

// Wakes other processes: a web process tells the workers that a job started, paused or was
// cancelled, or that a fine-tune was started, without waiting for their poll. A channel is a
// counter in the database; a process bumps it, and the processes that watch it wake when it
// moved. On SQLite they look at it twenty times a second (one read by primary key, so that a
// job starts within 50 ms of its button rather than a fifth of a second later); on
// PostgreSQL the bump is also announced (NOTIFY) and they wake as it arrives (LISTEN),
// looking at the counter only every few seconds in case an announcement was missed.

export type Channel = 'jobs' | 'fine-tunes';

/** Something that can be woken: the job runner, the fine-tune follower, or their messenger. */
export type Waker = { wake(): void };

export async function notify(db: Db, channel: Channel): Promise<void> {
	await db.transaction(async (tx) =>
		tx
			.insert(wakeSignal)
			.values({ channel, version: 1 })
			.onConflictDoUpdate({
				target: wakeSignal.channel,
				set: { version: sql`${wakeSignal.version} + 1` }
			})
	);
	await db.announce(channel);
}

/** How often a watcher that is also told by announcements looks at the counter itself. */
const LISTENING_POLL_MS = 5000;

async function versionOf(db: Db, channel: Channel): Promise<number> {
	const row = (
		await db
			.select({ version: wakeSignal.version })
			.from(wakeSignal)
			.where(eq(wakeSignal.channel, channel))
			.limit(1)
	)[0];
	return row?.version ?? 0;
}

/** Calls `onWake` whenever another process notifies `channel`; returns the function that stops it. */
export function watch(db: Db, channel: Channel, onWake: () => void, everyMs = 50): () => void {
	let seen: number | null = null;
	let stopped = false;
	let timer: ReturnType<typeof setTimeout> | null = null;
	const unlisten = db.listen(channel, onWake);
	if (unlisten) everyMs = Math.max(everyMs, LISTENING_POLL_MS);
	const look = async () => {
		try {
			const version = await versionOf(db, channel);
			if (seen !== null && version !== seen) onWake();
			seen = version;
		} catch {
			// The database is away: the runner and the follower say so themselves.
		}
		if (!stopped) {
			timer = setTimeout(() => void look(), everyMs);
			timer.unref?.();
		}
	};
	void look();
	return () => {
		stopped = true;
		unlisten?.();
		if (timer) clearTimeout(timer);
	};
}

/** Wakes the worker in this process, if there is one, and the workers in any other. */
export function messenger(
	db: Db,
	channel: Channel,
	local: Waker | null,
	log: (m: string) => void
): Waker {
	return {
		wake() {
			local?.wake();
			notify(db, channel).catch((e: unknown) =>
				log(`could not wake the workers: ${(e as Error).message}`)
			);
		}
	};
}
