import { createHash } from 'node:crypto';
import { and, eq, gt, inArray } from 'drizzle-orm';
import { alias, type Db, type Tx } from '../db';
import { comparison, example, job, revision, type Project } from '../db/schema';
import { evaluationAnswers, commonHashes } from '../iterations/figures';

// Comparisons: two outputs for the same input, judged side by side, blind. They are made from
// outputs already in the project — two models' answers to the same held-out inputs, or a
// job's two models' outputs — and never from an output and itself.

export type ComparedOutput = { exampleId: number; revisionId: number };
export type Pair = { first: ComparedOutput; second: ComparedOutput };

export type CreateResult =
	| { ok: true; created: number; alreadyQueued: number; identical: number }
	| { ok: false; status: 400 | 404; message: string };

/**
 * Which side an annotator sees the first output on: a bit of a hash of the comparison and the
 * person, so the order is random between people, balanced over comparisons, and the same each
 * time the same person opens it.
 */
export function firstOnLeftFor(comparisonId: number, userId: string): boolean {
	return (createHash('sha256').update(`${comparisonId}:${userId}`).digest()[0] & 1) === 1;
}

/**
 * Queues comparisons of the given pairs, all or none, in one transaction. Each pair must be
 * two different outputs of two examples of the project with the same input; a pair already
 * queued (in either order) is not queued again, and two outputs with the same text are left
 * out and counted, since there is nothing to choose between them.
 */
export async function queueComparisons(
	db: Db,
	target: Project,
	pairs: Pair[],
	userId: string | null,
	now: Date,
	jobId: number | null = null
): Promise<CreateResult> {
	for (const { first, second } of pairs) {
		if (first.revisionId === second.revisionId || first.exampleId === second.exampleId) {
			return { ok: false, status: 400, message: 'An output cannot be compared with itself.' };
		}
	}
	return await db.transaction(async (tx) => {
		const revisionIds = pairs.flatMap((p) => [p.first.revisionId, p.second.revisionId]);
		const outputs = await outputsOf(tx, target.id, revisionIds);
		// Every pair is checked before any is written: all or none.
		for (const { first, second } of pairs) {
			const a = outputs.get(first.revisionId);
			const b = outputs.get(second.revisionId);
			if (!a || !b || a.exampleId !== first.exampleId || b.exampleId !== second.exampleId) {
				return { ok: false, status: 404, message: 'No such output in this project.' } as const;
			}
			if (a.inputHash !== b.inputHash) {
				return {
					ok: false,
					status: 400,
					message: 'Only two outputs for the same input can be compared.'
				} as const;
			}
		}
		let created = 0;
		let alreadyQueued = 0;
		let identical = 0;
		for (const { first, second } of pairs) {
			if (outputs.get(first.revisionId)!.output === outputs.get(second.revisionId)!.output) {
				identical++;
				continue;
			}
			const inserted = await tx
				.insert(comparison)
				.values({
					projectId: target.id,
					firstExampleId: first.exampleId,
					firstRevisionId: first.revisionId,
					secondExampleId: second.exampleId,
					secondRevisionId: second.revisionId,
					jobId,
					createdBy: userId,
					createdAt: now
				})
				.onConflictDoNothing()
				.returning({ id: comparison.id });
			const reversed =
				inserted.length === 0
					? []
					: await tx
							.select({ id: comparison.id })
							.from(comparison)
							.where(
								and(
									eq(comparison.firstRevisionId, second.revisionId),
									eq(comparison.secondRevisionId, first.revisionId)
								)
							)
							.limit(1);
			if (inserted.length === 0) alreadyQueued++;
			else if (reversed.length > 0) {
				await tx.delete(comparison).where(eq(comparison.id, inserted[0].id));
				alreadyQueued++;
			} else created++;
		}
		return { ok: true, created, alreadyQueued, identical } as const;
	});
}

async function outputsOf(tx: Tx, projectId: number, revisionIds: number[]) {
	const found = new Map<number, { exampleId: number; inputHash: string; output: string | null }>();
	for (let at = 0; at < revisionIds.length; at += 500) {
		const rows = await tx
			.select({
				revisionId: revision.id,
				exampleId: example.id,
				inputHash: example.inputHash,
				output: revision.output
			})
			.from(revision)
			.innerJoin(example, eq(example.id, revision.exampleId))
			.where(
				and(inArray(revision.id, revisionIds.slice(at, at + 500)), eq(example.projectId, projectId))
			);
		for (const row of rows) {
			if (row.output !== null) found.set(row.revisionId, row);
		}
	}
	return found;
}

/** Two evaluated models' first answers to every held-out input both answered. */
export async function compareModels(
	db: Db,
	target: Project,
	modelA: number,
	modelB: number,
	userId: string,
	now: Date
): Promise<CreateResult> {
	if (modelA === modelB) {
		return { ok: false, status: 400, message: 'Choose two different models to compare.' };
	}
	const { heldOut } = await evaluationAnswers(db, target);
	const a = heldOut.get(modelA);
	const b = heldOut.get(modelB);
	if (!a || !b) {
		return { ok: false, status: 404, message: 'Both models need answers to held-out inputs.' };
	}
	const both = commonHashes(
		new Map([
			[modelA, a],
			[modelB, b]
		])
	);
	const pairs = [...both].map((hash) => ({
		first: { exampleId: a.get(hash)!.exampleId, revisionId: a.get(hash)!.revisionId },
		second: { exampleId: b.get(hash)!.exampleId, revisionId: b.get(hash)!.revisionId }
	}));
	if (pairs.length === 0) {
		return { ok: false, status: 400, message: 'The two models answered no input in common.' };
	}
	return await queueComparisons(db, target, pairs, userId, now);
}

/**
 * A job's outputs compared input by input: its first two models' outputs (a job run with two
 * teachers), or, with one model, its first two outputs of each input (two samples).
 */
export async function compareJobOutputs(
	db: Db,
	target: Project,
	jobId: number,
	userId: string,
	now: Date
): Promise<CreateResult> {
	const owned = await db
		.select({ id: job.id })
		.from(job)
		.where(and(eq(job.id, jobId), eq(job.projectId, target.id)))
		.limit(1);
	if (owned.length === 0)
		return { ok: false, status: 404, message: 'No such job in this project.' };
	const rows = await db
		.select({
			exampleId: example.id,
			revisionId: revision.id,
			inputHash: example.inputHash,
			modelId: revision.authorModelId
		})
		.from(example)
		.innerJoin(revision, and(eq(revision.exampleId, example.id), eq(revision.number, 1)))
		.where(and(eq(example.jobId, jobId), eq(example.projectId, target.id)))
		.orderBy(example.id);
	const byInput = new Map<string, typeof rows>();
	for (const row of rows) byInput.set(row.inputHash, [...(byInput.get(row.inputHash) ?? []), row]);
	// Two teachers: the first output of each of the first two; one teacher: its first two.
	const chosen = [...byInput.values()].map((outputs) => {
		const other = outputs.find((o) => o.modelId !== outputs[0].modelId) ?? outputs[1];
		return other ? [outputs[0], other] : [];
	});
	const pairs = chosen
		.filter((outputs) => outputs.length === 2)
		.map(([first, second]) => ({
			first: { exampleId: first.exampleId, revisionId: first.revisionId },
			second: { exampleId: second.exampleId, revisionId: second.revisionId }
		}));
	if (pairs.length === 0) {
		return {
			ok: false,
			status: 400,
			message: 'This job has no input with two outputs to compare.'
		};
	}
	return await queueComparisons(db, target, pairs, userId, now, jobId);
}

/** Whether the project has comparisons at all: the Compare tab shows only then. */
export async function hasComparisons(db: Db, projectId: number): Promise<boolean> {
	const found = await db
		.select({ id: comparison.id })
		.from(comparison)
		.where(eq(comparison.projectId, projectId))
		.limit(1);
	return found.length > 0;
}

/** A page of the project's comparisons in id order, after `after`. */
export async function listComparisons(db: Db, projectId: number, after: number, limit: number) {
	return await db
		.select({
			id: comparison.id,
			firstExampleId: comparison.firstExampleId,
			firstRevisionId: comparison.firstRevisionId,
			secondExampleId: comparison.secondExampleId,
			secondRevisionId: comparison.secondRevisionId,
			jobId: comparison.jobId,
			status: comparison.status,
			preferred: comparison.preferred,
			judgments: comparison.judgmentCount,
			gold: comparison.goldPreferred,
			createdAt: comparison.createdAt
		})
		.from(comparison)
		.where(and(eq(comparison.projectId, projectId), gt(comparison.id, after)))
		.orderBy(comparison.id)
		.limit(limit);
}

/** A page of comparisons for the admins' list: the input and both outputs, in their own order. */
export async function comparisonsPage(db: Db, projectId: number, after: number, limit = 50) {
	const first = alias(revision, 'first_output');
	const second = alias(revision, 'second_output');
	return await db
		.select({
			id: comparison.id,
			input: example.input,
			first: first.output,
			second: second.output,
			status: comparison.status,
			preferred: comparison.preferred,
			judgments: comparison.judgmentCount,
			gold: comparison.goldPreferred
		})
		.from(comparison)
		.innerJoin(example, eq(example.id, comparison.firstExampleId))
		.innerJoin(first, eq(first.id, comparison.firstRevisionId))
		.innerJoin(second, eq(second.id, comparison.secondRevisionId))
		.where(and(eq(comparison.projectId, projectId), gt(comparison.id, after)))
		.orderBy(comparison.id)
		.limit(limit);
}
