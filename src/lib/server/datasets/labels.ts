import { and, count, eq, inArray, type SQL } from 'drizzle-orm';
import type { Db } from '../db';
import { datasetItem, example, revision, type Project } from '../db/schema';
import type { DatasetFilter } from '../../schemas/dataset';
import { readLabels, type LabelSet } from '../../schemas/labels';
import { yieldToOthers } from '../longWork';
import { datasetRows, type SplitCounts } from '.';

// A label project's dataset, label by label: how many examples of each label each split would
// take, and, when the export page caps the largest labels, which examples a frozen dataset
// leaves out. A cap keeps at most that many examples of each label in each split, chosen by the
// examples' random keys, so that the examples kept are a fair sample of the label's and the
// same filter keeps the same ones. Caps apply to single-choice sets: with several labels to an
// example, capping one label would change the counts of the others.

export type LabelCount = { label: string; counts: SplitCounts; capped: SplitCounts };

export type LabelCounts = {
	labels: LabelCount[];
	/** Examples whose output names no label of the set (kept, never capped). */
	unreadable: SplitCounts;
	/** Whether the filter's cap applies to this project. */
	capped: boolean;
};

export function labelSetOf(target: Project): LabelSet | null {
	return target.outputKind === 'labels' && target.labelSet
		? (JSON.parse(target.labelSet) as LabelSet)
		: null;
}

/** The cap a filter asks for, when this project's labels can be capped. */
export function labelCapOf(target: Project, filter: DatasetFilter): number | null {
	const set = labelSetOf(target);
	return set && !set.multiple && filter.labelCap !== undefined ? filter.labelCap : null;
}

const zero = (): SplitCounts => ({ train: 0, val: 0, test: 0 });

/** Per label and split, what `selection` (the filter's condition) takes. */
export async function labelCounts(
	db: Db,
	target: Project,
	filter: DatasetFilter,
	selection: SQL
): Promise<LabelCounts | null> {
	const set = labelSetOf(target);
	if (!set) return null;
	const cap = labelCapOf(target, filter);
	// Label outputs are few distinct texts, so they are counted by text and read once each.
	const rows = await db
		.select({ split: example.split, output: revision.output, n: count() })
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(selection)
		.groupBy(example.split, revision.output);
	const byLabel = new Map(set.labels.map((l) => [l.name, zero()]));
	const unreadable = zero();
	for (const row of rows) {
		const names = row.output === null ? null : readLabels(set, row.output);
		if (!names || names.length === 0) unreadable[row.split] += row.n;
		else for (const name of names) byLabel.get(name)![row.split] += row.n;
	}
	const capOf = (counts: SplitCounts): SplitCounts =>
		cap === null
			? counts
			: {
					train: Math.min(counts.train, cap),
					val: Math.min(counts.val, cap),
					test: Math.min(counts.test, cap)
				};
	return {
		labels: [...byLabel].map(([label, counts]) => ({ label, counts, capped: capOf(counts) })),
		unreadable,
		capped: cap !== null
	};
}

/** The per-split totals once capped: each label's capped count, and every unreadable one. */
export function cappedTotals(counts: LabelCounts): SplitCounts {
	const totals = { ...counts.unreadable };
	for (const { capped } of counts.labels) {
		totals.train += capped.train;
		totals.val += capped.val;
		totals.test += capped.test;
	}
	return totals;
}

/** Items are looked at and removed this many at a time while a cap is applied. */
const CAP_PAGE = 5000;

/**
 * Removes from a dataset still being frozen the examples past the cap of their label in their
 * split, lowest random keys kept; a page at a time, each removal one short transaction.
 */
export async function applyLabelCap(
	db: Db,
	target: Project,
	datasetId: number,
	cap: number
): Promise<void> {
	const set = labelSetOf(target)!;
	// Each label's examples in each split, as (random key, example id).
	const groups = new Map<string, [number, number][]>();
	for await (const rows of datasetRows(db, datasetId, CAP_PAGE)()) {
		for (const row of rows) {
			const label = row.output === null ? undefined : readLabels(set, row.output)?.[0];
			if (label === undefined) continue;
			const key = `${row.split}\u0000${label}`;
			if (!groups.has(key)) groups.set(key, []);
			groups.get(key)!.push([row.randomKey, row.exampleId]);
		}
		await yieldToOthers();
	}
	const over = [...groups.values()].flatMap((members) =>
		members
			.sort((a, b) => a[0] - b[0] || a[1] - b[1])
			.slice(cap)
			.map(([, exampleId]) => exampleId)
	);
	for (let at = 0; at < over.length; at += CAP_PAGE) {
		const chunk = over.slice(at, at + CAP_PAGE);
		await db.transaction(async (tx) =>
			tx
				.delete(datasetItem)
				.where(and(eq(datasetItem.datasetId, datasetId), inArray(datasetItem.exampleId, chunk)))
		);
		await yieldToOthers();
	}
}
