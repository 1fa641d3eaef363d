import { createHash } from 'node:crypto';
import {
	and,
	asc,
	count,
	desc,
	eq,
	exists,
	gt,
	gte,
	inArray,
	isNotNull,
	lt,
	ne,
	not,
	sql,
	type SQL
} from 'drizzle-orm';
import { alias, changedRows } from '../db';
import type { Db, Queryable, Tx } from '../db';
import {
	comparison,
	dataset,
	datasetComparison,
	datasetItem,
	example,
	exampleTag,
	revision,
	type Dataset,
	type Example,
	type Project
} from '../db/schema';
import type { DatasetFilter } from '../../schemas/dataset';
import { inSlices, yieldToOthers } from '../longWork';
import { applyLabelCap, cappedTotals, labelCapOf, labelCounts, type LabelCounts } from './labels';

// Datasets: frozen selections of (example, revision) pairs. Only accepted examples whose final
// rating on their current revision clears the threshold qualify (DESIGN rule 3), and it is the
// current revision that is taken. Exact duplicates (same input, same output) are taken once,
// the oldest example standing for the rest. An example's split is its own, fixed by its input
// (rule 4), so a test example can only ever be in a test file.

const e2 = alias(example, 'duplicate_example');
const r2 = alias(revision, 'duplicate_revision');

type Tables = {
	e: typeof example | typeof e2;
	r: typeof revision | typeof r2;
};

/** What makes an example qualify, for the example and revision tables given. */
function qualifies(target: Project, filter: DatasetFilter, { e, r }: Tables): SQL[] {
	const threshold = filter.threshold ?? target.threshold;
	const conditions: SQL[] = [
		eq(e.projectId, target.id),
		eq(e.status, 'accepted'),
		gte(e.finalRating, threshold),
		isNotNull(r.output)
	];
	if (!filter.includeInvalid) conditions.push(sql`coalesce(${r.schemaValid}, 1) = 1`);
	if (filter.repairedOnly) conditions.push(eq(r.authorKind, 'user'));
	if (filter.minReviews !== undefined) conditions.push(gte(e.reviewCount, filter.minReviews));
	// An evaluation output is a measurement of its model, not training data: it is taken only
	// when asked for by name. Once a person repairs it, it is a "student repair" and qualifies.
	conditions.push(
		filter.sources.length > 0 ? inArray(e.source, filter.sources) : ne(e.source, 'evaluation')
	);
	if (filter.from) conditions.push(gte(e.createdAt, new Date(`${filter.from}T00:00:00Z`)));
	if (filter.to) {
		conditions.push(lt(e.createdAt, new Date(Date.parse(`${filter.to}T00:00:00Z`) + 86_400_000)));
	}
	if (filter.tags.length > 0) {
		conditions.push(
			sql`exists (select 1 from ${exampleTag} where ${exampleTag.exampleId} = ${e.id} and ${inArray(exampleTag.tag, filter.tags)})`
		);
	}
	return conditions;
}

/** The qualifying examples, each duplicate (input and output) after its first left out. */
function selected(db: Queryable, target: Project, filter: DatasetFilter): SQL {
	const earlierTwin = db
		.select({ one: sql`1` })
		.from(e2)
		.innerJoin(r2, eq(r2.id, e2.currentRevisionId))
		.where(
			and(
				eq(e2.inputHash, example.inputHash),
				eq(r2.output, revision.output),
				lt(e2.id, example.id),
				...qualifies(target, filter, { e: e2, r: r2 })
			)
		);
	return and(...qualifies(target, filter, { e: example, r: revision }), not(exists(earlierTwin)))!;
}

export type SplitCounts = { train: number; val: number; test: number };

/** How many examples the filter would take, per split: the export page's live figures. */
export async function countQualifying(
	db: Db,
	target: Project,
	filter: DatasetFilter
): Promise<SplitCounts> {
	if (labelCapOf(target, filter) !== null) {
		return cappedTotals((await labelCounts(db, target, filter, selected(db, target, filter)))!);
	}
	const rows = await db
		.select({ split: example.split, n: count() })
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(selected(db, target, filter))
		.groupBy(example.split);
	const counts: SplitCounts = { train: 0, val: 0, test: 0 };
	for (const row of rows) counts[row.split] = row.n;
	return counts;
}

/** A label project's figures of the same filter, label by label (null for other projects). */
export async function countQualifyingLabels(
	db: Db,
	target: Project,
	filter: DatasetFilter
): Promise<LabelCounts | null> {
	return await labelCounts(db, target, filter, selected(db, target, filter));
}

export type FreezeResult =
	| { ok: true; datasetId: number; counts: SplitCounts; contentHash: string }
	| { ok: false; message: string };

/** Rows of a dataset in a stable order, `size` at a time, for hashing and exporting. */
export function datasetRows(db: Queryable, datasetId: number, size = 5000) {
	const page = db
		.select({
			exampleId: datasetItem.exampleId,
			revisionId: datasetItem.revisionId,
			split: datasetItem.split,
			input: example.input,
			conversationKey: example.conversationKey,
			output: revision.output,
			reasoning: revision.reasoning,
			parentRevisionId: revision.parentRevisionId,
			authorKind: revision.authorKind,
			randomKey: example.randomKey
		})
		.from(datasetItem)
		.innerJoin(example, eq(example.id, datasetItem.exampleId))
		.innerJoin(revision, eq(revision.id, datasetItem.revisionId))
		.where(
			and(
				eq(datasetItem.datasetId, sql.placeholder('datasetId')),
				gt(datasetItem.exampleId, sql.placeholder('after'))
			)
		)
		.orderBy(asc(datasetItem.exampleId))
		.limit(size)
		.prepare();
	return async function* pages() {
		for (let after = 0; ;) {
			const rows = await page.execute({ datasetId, after });
			if (rows.length === 0) return;
			yield rows;
			after = rows[rows.length - 1].exampleId;
		}
	};
}

/** Example ids are looked at this many at a time while a dataset is frozen. */
const FREEZE_CHUNK = 2000;
/** How long a freeze may go without writing before its dataset counts as abandoned. */
export const FREEZE_ABANDONED_AFTER_MS = 10 * 60_000;

const NOTHING_QUALIFIES = 'No accepted example clears this filter, so there is nothing to freeze.';

export type StagedDataset = Extract<FreezeResult, { ok: true }>;

/**
 * Writes what the filter selects as a dataset in state 'freezing', which no reader sees: its
 * (example, revision) pairs a chunk of examples per short transaction, then its counts and the
 * hash of its content, read back a page at a time, letting other requests in between. Each
 * pair is the example's current revision when its chunk was written. `publishDataset` makes
 * it readable. When nothing qualifies nothing is kept.
 */
export async function stageDataset(
	db: Db,
	target: Project,
	name: string,
	filter: DatasetFilter,
	userId: string,
	now = new Date()
): Promise<FreezeResult> {
	const startedAt = performance.now();
	const previous = await latestDataset(db, target.id);
	const created = (
		await db.transaction(async (tx) =>
			tx
				.insert(dataset)
				.values({
					projectId: target.id,
					name,
					filter: JSON.stringify({ ...filter, threshold: filter.threshold ?? target.threshold }),
					trainCount: 0,
					valCount: 0,
					testCount: 0,
					contentHash: '',
					previousDatasetId: previous?.id ?? null,
					createdBy: userId,
					state: 'freezing',
					stagedAt: now,
					createdAt: now
				})
				.returning({ id: dataset.id })
		)
	)[0];
	try {
		for (let after = 0; ;) {
			const last = await db.transaction(async (tx) => {
				const ids = (
					await tx
						.select({ id: example.id })
						.from(example)
						.where(
							and(
								eq(example.projectId, target.id),
								eq(example.status, 'accepted'),
								gt(example.id, after)
							)
						)
						.orderBy(asc(example.id))
						.limit(FREEZE_CHUNK)
				).map((r) => r.id);
				if (ids.length === 0) return null;
				await tx.insert(datasetItem).select(
					tx
						.select({
							datasetId: sql<number>`${created.id}`.as('dataset_id'),
							exampleId: example.id,
							revisionId: revision.id,
							split: example.split
						})
						.from(example)
						.innerJoin(revision, eq(revision.id, example.currentRevisionId))
						.where(and(inArray(example.id, ids), selected(tx, target, filter)))
				);
				// A heartbeat: a freeze that stops writing is taken for abandoned.
				await tx
					.update(dataset)
					.set({ stagedAt: new Date(now.getTime() + (performance.now() - startedAt)) })
					.where(eq(dataset.id, created.id));
				return ids[ids.length - 1];
			});
			if (last === null) break;
			after = last;
			await yieldToOthers();
		}
		const cap = labelCapOf(target, filter);
		if (cap !== null) await applyLabelCap(db, target, created.id, cap);
		await db.transaction(async (tx) => freezeComparisons(tx, target.id, created.id));
		const hash = createHash('sha256');
		const counts: SplitCounts = { train: 0, val: 0, test: 0 };
		for await (const rows of datasetRows(db, created.id, 1000)()) {
			for (const row of rows) {
				counts[row.split] += 1;
				hash.update(`${row.split}\u0000${row.input}\u0000${row.output}\u0000`);
			}
			await yieldToOthers();
		}
		if (counts.train + counts.val + counts.test === 0) {
			await discardStagedDataset(db, created.id);
			return { ok: false, message: NOTHING_QUALIFIES };
		}
		return { ok: true, datasetId: created.id, counts, contentHash: hash.digest('hex') };
	} catch (e) {
		await discardStagedDataset(db, created.id);
		throw e;
	}
}

/** The one short step that makes a staged dataset readable, inside the caller's transaction. */
export async function publishDataset(tx: Tx, staged: StagedDataset): Promise<void> {
	await tx
		.update(dataset)
		.set({
			trainCount: staged.counts.train,
			valCount: staged.counts.val,
			testCount: staged.counts.test,
			contentHash: staged.contentHash,
			state: 'frozen',
			stagedAt: null
		})
		.where(and(eq(dataset.id, staged.datasetId), eq(dataset.state, 'freezing')));
}

/**
 * Freezes what the filter selects now: the dataset, its (example, revision) pairs, its
 * counts per split and a hash of its content, written without holding the database (see
 * `stageDataset`) and made readable in one step. Nothing is kept when nothing qualifies.
 */
export async function freezeDataset(
	db: Db,
	target: Project,
	name: string,
	filter: DatasetFilter,
	userId: string,
	now = new Date()
): Promise<FreezeResult> {
	const staged = await stageDataset(db, target, name, filter, userId, now);
	if (!staged.ok) return staged;
	try {
		await db.transaction(async (tx) => publishDataset(tx, staged));
	} catch (e) {
		await discardStagedDataset(db, staged.datasetId);
		throw e;
	}
	return staged;
}

/**
 * The dataset's preference pairs from settled comparisons, written with it: each comparison
 * whose preferred output is the revision the dataset holds, with the other output as the worse.
 */
async function freezeComparisons(tx: Tx, projectId: number, datasetId: number) {
	for (const side of ['first', 'second'] as const) {
		const [won, lost] =
			side === 'first'
				? [comparison.firstRevisionId, comparison.secondRevisionId]
				: [comparison.secondRevisionId, comparison.firstRevisionId];
		await tx.insert(datasetComparison).select(
			tx
				.select({
					datasetId: sql<number>`${datasetId}`.as('dataset_id'),
					comparisonId: comparison.id,
					preferredExampleId: datasetItem.exampleId,
					worseRevisionId: lost
				})
				.from(comparison)
				.innerJoin(
					datasetItem,
					and(eq(datasetItem.datasetId, datasetId), eq(datasetItem.revisionId, won))
				)
				.where(
					and(
						eq(comparison.projectId, projectId),
						eq(comparison.status, 'settled'),
						eq(comparison.preferred, side)
					)
				)
		);
	}
}

/** Removes a dataset that is still freezing, with its items, a chunk at a time. */
export async function discardStagedDataset(db: Db, datasetId: number): Promise<void> {
	const items = db
		.select({ id: datasetItem.exampleId })
		.from(datasetItem)
		.where(eq(datasetItem.datasetId, datasetId))
		.limit(FREEZE_CHUNK);
	await inSlices(
		async () =>
			await changedRows(
				db.transaction(async (tx) =>
					tx
						.delete(datasetItem)
						.where(and(eq(datasetItem.datasetId, datasetId), inArray(datasetItem.exampleId, items)))
				)
			)
	);
	await db.transaction(async (tx) => {
		await tx.delete(datasetComparison).where(eq(datasetComparison.datasetId, datasetId));
		await tx.delete(dataset).where(and(eq(dataset.id, datasetId), eq(dataset.state, 'freezing')));
	});
}

/**
 * Removes datasets whose freeze died with its process: those still freezing whose last write
 * came before `silentSince`. At start-up that is every one of them.
 */
export async function discardAbandonedFreezes(db: Db, silentSince: Date): Promise<number> {
	const abandoned = await db
		.select({ id: dataset.id })
		.from(dataset)
		.where(and(eq(dataset.state, 'freezing'), lt(dataset.stagedAt, silentSince)));
	for (const found of abandoned) await discardStagedDataset(db, found.id);
	return abandoned.length;
}

export async function latestDataset(
	db: Queryable,
	projectId: number
): Promise<Dataset | undefined> {
	return (
		await db
			.select()
			.from(dataset)
			.where(and(eq(dataset.projectId, projectId), eq(dataset.state, 'frozen')))
			.orderBy(desc(dataset.id))
			.limit(1)
	)[0];
}

export async function listDatasets(db: Db, projectId: number): Promise<Dataset[]> {
	return await db
		.select()
		.from(dataset)
		.where(and(eq(dataset.projectId, projectId), eq(dataset.state, 'frozen')))
		.orderBy(desc(dataset.id));
}

export async function getDataset(
	db: Queryable,
	projectId: number,
	datasetId: number
): Promise<Dataset | undefined> {
	return (
		await db
			.select()
			.from(dataset)
			.where(
				and(
					eq(dataset.id, datasetId),
					eq(dataset.projectId, projectId),
					eq(dataset.state, 'frozen')
				)
			)
			.limit(1)
	)[0];
}

export type DatasetChange = { added: number; removed: number; revised: number; kept: number };

/** What changed from one dataset to another: examples added, removed, and taken at a new revision. */
export async function datasetChange(
	db: Queryable,
	fromId: number,
	toId: number
): Promise<DatasetChange> {
	const before = alias(datasetItem, 'before_item');
	const after = alias(datasetItem, 'after_item');
	const shared = (
		await db
			.select({
				n: count(),
				revised: sql<number>`coalesce(sum(case when ${before.revisionId} <> ${after.revisionId} then 1 else 0 end), 0)`
			})
			.from(after)
			.innerJoin(before, and(eq(before.exampleId, after.exampleId), eq(before.datasetId, fromId)))
			.where(eq(after.datasetId, toId))
			.limit(1)
	)[0]!;
	const size = async (id: number) =>
		(
			await db
				.select({ n: count() })
				.from(datasetItem)
				.where(eq(datasetItem.datasetId, id))
				.limit(1)
		)[0]!.n;
	return {
		added: (await size(toId)) - shared.n,
		removed: (await size(fromId)) - shared.n,
		revised: Number(shared.revised),
		kept: shared.n - Number(shared.revised)
	};
}

export type ChangePreview = DatasetChange & {
	/** The examples that would be added, by source: how many student repairs join, say. */
	addedBySource: Partial<Record<Example['source'], number>>;
};

/** What freezing the filter now would change from an earlier dataset, before anything is kept. */
export async function previewChange(
	db: Db,
	target: Project,
	filter: DatasetFilter,
	fromId: number
): Promise<ChangePreview> {
	const before = alias(datasetItem, 'before_item');
	const rows = await db
		.select({
			source: example.source,
			n: count(),
			added: sql<number>`coalesce(sum(case when ${before.exampleId} is null then 1 else 0 end), 0)`,
			revised: sql<number>`coalesce(sum(case when ${before.revisionId} <> ${revision.id} then 1 else 0 end), 0)`
		})
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.leftJoin(before, and(eq(before.exampleId, example.id), eq(before.datasetId, fromId)))
		.where(selected(db, target, filter))
		.groupBy(example.source);
	const addedBySource: ChangePreview['addedBySource'] = {};
	let total = 0;
	let added = 0;
	let revised = 0;
	for (const row of rows) {
		total += row.n;
		added += Number(row.added);
		revised += Number(row.revised);
		if (Number(row.added) > 0) addedBySource[row.source] = Number(row.added);
	}
	const previous = (
		await db
			.select({ n: count() })
			.from(datasetItem)
			.where(eq(datasetItem.datasetId, fromId))
			.limit(1)
	)[0]!.n;
	const shared = total - added;
	return { added, removed: previous - shared, revised, kept: shared - revised, addedBySource };
}
