import { and, eq, inArray } from 'drizzle-orm';
import { within, type Db, type Tx } from './db';
import { example, exampleTag, project, type Project, type QueueOrder } from './db/schema';
import { applyTrust, measureTrust } from './judges/triage';

/** A project's queue priority is stored as "tag:<name>" or "job:<id>", or null for none. */
export type QueuePriority = { kind: 'tag'; tag: string } | { kind: 'job'; jobId: number } | null;

export function parseQueuePriority(stored: string | null): QueuePriority {
	if (!stored) return null;
	if (stored.startsWith('tag:')) return { kind: 'tag', tag: stored.slice(4) };
	if (stored.startsWith('job:')) return { kind: 'job', jobId: Number(stored.slice(4)) };
	return null;
}

export function priorityTagOf(stored: string | null): string | null {
	const parsed = parseQueuePriority(stored);
	return parsed?.kind === 'tag' ? parsed.tag : null;
}

/** A random sort key for projects that serve their queue in random order. */
export function randomKey(): number {
	return crypto.getRandomValues(new Uint32Array(1))[0] >>> 1;
}

/** Puts a tag's or a job's examples first in the queue (or none), in one transaction. */
export async function setQueuePriority(
	db: Db | Tx,
	projectId: number,
	priority: QueuePriority
): Promise<void> {
	await within(db, async (tx) => {
		const stored =
			priority === null
				? null
				: priority.kind === 'tag'
					? `tag:${priority.tag}`
					: `job:${priority.jobId}`;
		await tx.update(project).set({ queuePriority: stored }).where(eq(project.id, projectId));
		await tx
			.update(example)
			.set({ priority: 0 })
			.where(and(eq(example.projectId, projectId), eq(example.priority, 1)));
		if (priority === null) return;
		const selected =
			priority.kind === 'tag'
				? inArray(
						example.id,
						tx
							.select({ id: exampleTag.exampleId })
							.from(exampleTag)
							.where(eq(exampleTag.tag, priority.tag))
					)
				: eq(example.jobId, priority.jobId);
		await tx
			.update(example)
			.set({ priority: 1 })
			.where(and(eq(example.projectId, projectId), selected));
	});
}

export type QueueSettings = {
	leaseMinutes: number;
	queueOrder: QueueOrder;
	priorityTag: string;
	repairerReviewCounts: boolean;
	/** The share of claims that serve a gold example, in percent. */
	goldPercent: number;
	/** In the judge-guided order, the share of outputs kept as the audit sample, in percent. */
	auditPercent: number;
};

export function queueSettingsOf(
	found: Pick<
		Project,
		| 'leaseMinutes'
		| 'queueOrder'
		| 'queuePriority'
		| 'repairerReviewCounts'
		| 'goldRate'
		| 'auditShare'
	>
): QueueSettings {
	return {
		leaseMinutes: found.leaseMinutes,
		queueOrder: found.queueOrder,
		priorityTag: priorityTagOf(found.queuePriority) ?? '',
		repairerReviewCounts: found.repairerReviewCounts,
		goldPercent: Math.round(found.goldRate * 100),
		auditPercent: Math.round(found.auditShare * 100)
	};
}

/** Saves the queue settings and re-marks the examples the priority selects, in one transaction. */
export async function updateQueueSettings(
	db: Db,
	projectId: number,
	settings: QueueSettings,
	now: Date
) {
	const trust = await trustFor(db, projectId, settings);
	await db.transaction(async (tx) => saveQueueSettings(tx, projectId, settings, trust, now));
}

/**
 * What a judge-guided order starts from: the judges measured against people today. A read,
 * made before the transaction that saves the settings.
 */
export async function trustFor(db: Db, projectId: number, settings: QueueSettings) {
	if (settings.queueOrder !== 'judged') return null;
	const target = (await db.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
	return target ? await measureTrust(db, target) : null;
}

/** The settings, the judges' trust and the queue's keys, saved in the caller's transaction. */
export async function saveQueueSettings(
	tx: Tx,
	projectId: number,
	settings: QueueSettings,
	trust: Awaited<ReturnType<typeof trustFor>>,
	now: Date
) {
	await tx
		.update(project)
		.set({
			leaseMinutes: settings.leaseMinutes,
			queueOrder: settings.queueOrder,
			repairerReviewCounts: settings.repairerReviewCounts,
			goldRate: settings.goldPercent / 100,
			auditShare: settings.auditPercent / 100,
			updatedAt: now
		})
		.where(eq(project.id, projectId));
	// The nested transaction runs as a savepoint inside this one.
	await setQueuePriority(
		tx,
		projectId,
		settings.priorityTag ? { kind: 'tag', tag: settings.priorityTag } : null
	);
	if (trust) await applyTrust(tx, projectId, trust);
}
