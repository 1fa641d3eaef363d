import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { type Db, changedRows } from '../db';
import { example, importBatch } from '../db/schema';
import { inSlices } from '../longWork';

// An import is all or nothing to every reader and across a crash, yet it must not hold the
// database for the many seconds a large file takes to write: other people's claims and saves
// would wait behind it. So its rows are written in short transactions under a batch in state
// 'staging', which no reader sees, and one short step makes the batch 'done'. A batch still
// staging after its importer has gone quiet died with its process; its rows are removed.

/** How long an import may go without writing before its batch counts as abandoned. */
export const STAGING_ABANDONED_AFTER_MS = 10 * 60_000;
/** Staged rows are removed this many at a time, so removing them blocks no one either. */
const DISCARD_CHUNK = 500;

/**
 * The condition every reader of a project's examples adds: the example is not part of an
 * import that is still being written (or was abandoned half way).
 */
export function notStaged(): SQL {
	return sql`coalesce(${example.importId}, 0) not in (select ${importBatch.id} from ${importBatch} where ${importBatch.state} = 'staging')`;
}

/**
 * The opposite: the example belongs to an import still being written. Few rows ever are, and
 * they are found by their batch's index, so a count can take them away from one that reads
 * no example row at all.
 */
export function staged(): SQL {
	return inArray(
		example.importId,
		sql`(select ${importBatch.id} from ${importBatch} where ${importBatch.state} = 'staging')`
	);
}

/** Removes a staging batch and everything written under it, a chunk at a time. */
export async function discardStagedBatch(db: Db, batchId: number): Promise<void> {
	await inSlices(
		async () =>
			await db.transaction(async (tx) => {
				// A batch that was published meanwhile is no longer this function's to remove.
				const staging = (
					await tx
						.select({ id: importBatch.id })
						.from(importBatch)
						.where(and(eq(importBatch.id, batchId), eq(importBatch.state, 'staging')))
						.limit(1)
				)[0];
				if (!staging) return 0;
				const ids = (
					await tx
						.select({ id: example.id })
						.from(example)
						.where(eq(example.importId, batchId))
						.limit(DISCARD_CHUNK)
				).map((r) => r.id);
				if (ids.length === 0) return 0;
				// The example points at its revision and the revision at its example: unhook first.
				await tx.update(example).set({ currentRevisionId: null }).where(inArray(example.id, ids));
				return await changedRows(tx.delete(example).where(inArray(example.id, ids)));
			})
	);
	await db.transaction(async (tx) =>
		tx.delete(importBatch).where(and(eq(importBatch.id, batchId), eq(importBatch.state, 'staging')))
	);
}

/**
 * Removes the rows of imports whose process died before finishing them: those still staging
 * whose last write came before `silentSince`. At start-up that is every staging import.
 */
export async function discardAbandonedImports(db: Db, silentSince: Date): Promise<number> {
	const abandoned = await db
		.select({ id: importBatch.id })
		.from(importBatch)
		.where(and(eq(importBatch.state, 'staging'), lt(importBatch.stagedAt, silentSince)));
	for (const batch of abandoned) await discardStagedBatch(db, batch.id);
	return abandoned.length;
}
