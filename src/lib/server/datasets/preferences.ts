import { z } from 'zod';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { alias } from '../db';
import type { Queryable } from '../db';
import { datasetComparison, datasetItem, revision, type Split } from '../db/schema';

// Preference pairs of a dataset. The preferred side is always an example the dataset holds,
// at the revision it holds (rule 3); the other side is an output people judged worse:
//   - the earlier output a person's repair replaced, and
//   - the other output of every comparison that had preferred that revision when the dataset
//     was frozen (`dataset_comparison`), so its files never change afterwards.
// DPO and TRL preference files give one line per pair; a KTO file gives every example as
// desirable and every distinct worse output as undesirable.

/** Finds what a person's repair replaced: the nearest earlier output that differs from it. */
export function rejectedFinder(db: Queryable) {
	const current = alias(revision, 'current_revision');
	const currentOutput = db
		.select({ output: current.output })
		.from(current)
		.where(eq(current.id, sql.placeholder('current')));
	// A re-queue copies a revision unchanged, so outputs equal to the repair's are passed over.
	const step = db
		.select({
			parentRevisionId: revision.parentRevisionId,
			differs: sql<number>`${revision.output} is not null and ${revision.output} is distinct from (${currentOutput})`
		})
		.from(revision)
		.where(eq(revision.id, sql.placeholder('id')))
		.prepare();
	return async (repair: {
		revisionId: number;
		parentRevisionId: number | null;
	}): Promise<number | null> => {
		for (let id = repair.parentRevisionId; id !== null;) {
			const earlier = (await step.execute({ id, current: repair.revisionId }))[0];
			if (!earlier) return null;
			if (earlier.differs) return id;
			id = earlier.parentRevisionId;
		}
		return null;
	};
}

export type PreferenceRow = {
	exampleId: number;
	revisionId: number;
	parentRevisionId: number | null;
	authorKind: 'import' | 'model' | 'user';
};

/**
 * The worse outputs of a page of a dataset's rows, as revision ids per example: a repair's
 * earlier output first, then the outputs the dataset's frozen comparisons judged worse. One
 * query for the page's comparisons; a repair's chain is walked for repaired rows only.
 */
export function worseOutputs(db: Queryable, datasetId: number) {
	const repaired = rejectedFinder(db);
	return async (rows: readonly PreferenceRow[]): Promise<Map<number, number[]>> => {
		const worse = new Map<number, number[]>();
		for (const row of rows) {
			if (row.authorKind !== 'user') continue;
			const id = await repaired(row);
			if (id !== null) worse.set(row.exampleId, [id]);
		}
		const ids = rows.map((r) => r.exampleId);
		for (let at = 0; at < ids.length; at += 500) {
			const frozen = await db
				.select({
					exampleId: datasetComparison.preferredExampleId,
					worse: datasetComparison.worseRevisionId
				})
				.from(datasetComparison)
				.where(
					and(
						eq(datasetComparison.datasetId, datasetId),
						inArray(datasetComparison.preferredExampleId, ids.slice(at, at + 500))
					)
				)
				.orderBy(datasetComparison.comparisonId);
			for (const pair of frozen) {
				const list = worse.get(pair.exampleId) ?? [];
				if (!list.includes(pair.worse)) list.push(pair.worse);
				worse.set(pair.exampleId, list);
			}
		}
		return worse;
	};
}

/**
 * The worse outputs without those the dataset itself holds, which a KTO file gives as
 * desirable already (two accepted answers, one compared better than the other).
 */
export async function undesirableOf(
	db: Queryable,
	datasetId: number,
	worse: Map<number, number[]>
): Promise<Map<number, number[]>> {
	const all = [...new Set([...worse.values()].flat())];
	const held = new Set<number>();
	for (let at = 0; at < all.length; at += 500) {
		const rows = await db
			.select({ id: datasetItem.revisionId })
			.from(datasetItem)
			.where(
				and(
					eq(datasetItem.datasetId, datasetId),
					inArray(datasetItem.revisionId, all.slice(at, at + 500))
				)
			);
		for (const r of rows) held.add(r.id);
	}
	return new Map(
		[...worse].map(([exampleId, ids]) => [exampleId, ids.filter((id) => !held.has(id))])
	);
}

export type PreferenceCounts = Record<
	Split,
	{ pairs: number; pairsWithReasoning: number; worse: number; worseWithReasoning: number }
>;

const HAS_REASONING = sql<number>`coalesce(${revision.reasoning}, '') <> ''`;

/**
 * How many pairs each split's preference files would hold, and how many distinct worse outputs
 * a KTO file would; "with reasoning" counts those whose preferred side has reasoning.
 */
export async function preferenceCounts(
	db: Queryable,
	datasetId: number
): Promise<PreferenceCounts> {
	const counts = Object.fromEntries(
		(['train', 'val', 'test'] as const).map((s) => [
			s,
			{ pairs: 0, pairsWithReasoning: 0, worse: 0, worseWithReasoning: 0 }
		])
	) as PreferenceCounts;
	const worseOf = worseOutputs(db, datasetId);
	const seen = { train: new Set<number>(), val: new Set<number>(), test: new Set<number>() };
	const seenReasoned = {
		train: new Set<number>(),
		val: new Set<number>(),
		test: new Set<number>()
	};
	// Only rows that can have a worse output are read: a person's repair, or a compared winner.
	const candidates = await db
		.select({
			exampleId: datasetItem.exampleId,
			revisionId: revision.id,
			parentRevisionId: revision.parentRevisionId,
			authorKind: revision.authorKind,
			split: datasetItem.split,
			hasReasoning: HAS_REASONING
		})
		.from(datasetItem)
		.innerJoin(revision, eq(revision.id, datasetItem.revisionId))
		.where(
			and(
				eq(datasetItem.datasetId, datasetId),
				sql`(${revision.authorKind} = 'user' or exists (select 1 from ${datasetComparison} where ${datasetComparison.datasetId} = ${datasetItem.datasetId} and ${datasetComparison.preferredExampleId} = ${datasetItem.exampleId}))`
			)
		);
	const pairs = await worseOf(candidates);
	const undesirable = await undesirableOf(db, datasetId, pairs);
	for (const row of candidates) {
		const split = counts[row.split];
		const ids = pairs.get(row.exampleId) ?? [];
		split.pairs += ids.length;
		if (row.hasReasoning) split.pairsWithReasoning += ids.length;
		for (const id of undesirable.get(row.exampleId) ?? []) {
			seen[row.split].add(id);
			if (row.hasReasoning) seenReasoned[row.split].add(id);
		}
	}
	for (const s of ['train', 'val', 'test'] as const) {
		counts[s].worse = seen[s].size;
		counts[s].worseWithReasoning = seenReasoned[s].size;
	}
	return counts;
}

// Each preference format's line, as the trainer that reads it takes it: OpenAI's DPO file
// (which Together and Fireworks read as it is), and TRL's conversational preference and
// unpaired (KTO) datasets. A file is checked line by line before anyone trains on it.
const message = z.object({
	role: z.enum(['system', 'user', 'assistant', 'tool']),
	content: z.union([z.string(), z.array(z.unknown()).min(1)])
});
const prompt = z
	.array(message)
	.min(1)
	.refine((m) => m.at(-1)!.role !== 'assistant', 'the prompt ends with an assistant turn');
const answer = z
	.array(message.extend({ role: z.literal('assistant'), content: z.string().min(1) }))
	.length(1, 'an answer is one assistant message');
const differ = (chosen: unknown, rejected: unknown) =>
	JSON.stringify(chosen) !== JSON.stringify(rejected);

export const PREFERENCE_LINES = {
	openai_dpo: z
		.strictObject({
			input: z.looseObject({ messages: prompt }),
			preferred_output: answer,
			non_preferred_output: answer
		})
		.refine((l) => differ(l.preferred_output, l.non_preferred_output), 'both outputs are the same'),
	trl_preference: z
		.strictObject({ prompt, chosen: answer, rejected: answer })
		.refine((l) => differ(l.chosen, l.rejected), 'both outputs are the same'),
	trl_kto: z.strictObject({ prompt, completion: answer, label: z.boolean() })
};

/** Every line of a preference file that its trainer would refuse, with the reason. */
export async function checkPreferenceLines(
	lines: Iterable<string> | AsyncIterable<string>,
	format: keyof typeof PREFERENCE_LINES
): Promise<{ lines: number; problems: { line: number; message: string }[] }> {
	const problems: { line: number; message: string }[] = [];
	let count = 0;
	for await (const text of lines) {
		count += 1;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			problems.push({ line: count, message: 'not JSON' });
			continue;
		}
		const checked = PREFERENCE_LINES[format].safeParse(value);
		if (!checked.success) {
			const issue = checked.error.issues[0];
			problems.push({
				line: count,
				message: `${issue.path.join('.') || 'line'}: ${issue.message}`
			});
		}
	}
	return { lines: count, problems };
}
