import { and, asc, count, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db';
import { example, exampleTag, revision, review, type Example } from './db/schema';
import type { ExampleFilter } from '../schemas/examples';

export const EXAMPLES_PAGE_SIZE = 50;
const PREVIEW_CHARS = 240;

/** Text for LIKE with the wildcards in it taken literally. */
function likePattern(text: string): string {
	return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filterConditions(db: Db, projectId: number, filter: ExampleFilter): SQL[] {
	const conditions: SQL[] = [eq(example.projectId, projectId)];
	if (filter.status) conditions.push(eq(example.status, filter.status));
	if (filter.split) conditions.push(eq(example.split, filter.split));
	if (filter.source) conditions.push(eq(example.source, filter.source));
	if (filter.tag) {
		const tagged = db
			.select({ id: exampleTag.exampleId })
			.from(exampleTag)
			.where(eq(exampleTag.tag, filter.tag));
		conditions.push(inArray(example.id, tagged));
	}
	if (filter.q) {
		const pattern = likePattern(filter.q);
		conditions.push(
			or(
				sql`${example.input} like ${pattern} escape '\\'`,
				sql`${revision.output} like ${pattern} escape '\\'`
			)!
		);
	}
	return conditions;
}

export type ExampleListItem = {
	id: number;
	inputPreview: string;
	outputPreview: string | null;
	status: Example['status'];
	split: Example['split'];
	source: Example['source'];
	finalRating: number | null;
	createdAt: Date;
	tags: string[];
};

/**
 * One page of a project's examples, newest first, by keyset on id: `before` pages on to
 * older ones, `after` back to newer ones. Every filter runs on an index, so a page costs
 * the same at 100 or 100,000 examples.
 */
export function listExamples(db: Db, projectId: number, filter: ExampleFilter) {
	const conditions = filterConditions(db, projectId, filter);
	const goingBack = !filter.before && !!filter.after;
	if (filter.before) conditions.push(lt(example.id, filter.before));
	else if (filter.after) conditions.push(gt(example.id, filter.after));
	const rows = db
		.select({
			id: example.id,
			inputPreview: sql<string>`substr(${example.input}, 1, ${PREVIEW_CHARS})`,
			outputPreview: sql<string | null>`substr(${revision.output}, 1, ${PREVIEW_CHARS})`,
			status: example.status,
			split: example.split,
			source: example.source,
			finalRating: example.finalRating,
			createdAt: example.createdAt
		})
		.from(example)
		.leftJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(and(...conditions))
		.orderBy(goingBack ? asc(example.id) : desc(example.id))
		.limit(EXAMPLES_PAGE_SIZE + 1)
		.all();
	const hasMore = rows.length > EXAMPLES_PAGE_SIZE;
	const page = rows.slice(0, EXAMPLES_PAGE_SIZE);
	if (goingBack) page.reverse();
	const tags = tagsFor(
		db,
		page.map((r) => r.id)
	);
	const items: ExampleListItem[] = page.map((r) => ({ ...r, tags: tags.get(r.id) ?? [] }));
	const newest = items[0]?.id;
	const oldest = items[items.length - 1]?.id;
	return {
		items,
		// Going forward, "more" means older rows exist; going back, newer ones.
		olderCursor: (goingBack ? true : hasMore) && oldest ? oldest : null,
		newerCursor: (goingBack ? hasMore : !!filter.before || !!filter.after) && newest ? newest : null
	};
}

function tagsFor(db: Db, exampleIds: number[]): Map<number, string[]> {
	const byExample = new Map<number, string[]>();
	if (exampleIds.length === 0) return byExample;
	const rows = db
		.select()
		.from(exampleTag)
		.where(inArray(exampleTag.exampleId, exampleIds))
		.orderBy(asc(exampleTag.tag))
		.all();
	for (const row of rows) {
		const list = byExample.get(row.exampleId) ?? [];
		list.push(row.tag);
		byExample.set(row.exampleId, list);
	}
	return byExample;
}

/** How many examples the project has in each status. */
export function countByStatus(db: Db, projectId: number) {
	const rows = db
		.select({ status: example.status, n: count() })
		.from(example)
		.where(eq(example.projectId, projectId))
		.groupBy(example.status)
		.all();
	const counts = { queued: 0, in_review: 0, accepted: 0, rejected: 0, disputed: 0, total: 0 };
	for (const row of rows) {
		counts[row.status] = row.n;
		counts.total += row.n;
	}
	return counts;
}

export function countBySplit(db: Db, projectId: number) {
	const rows = db
		.select({ split: example.split, n: count() })
		.from(example)
		.where(eq(example.projectId, projectId))
		.groupBy(example.split)
		.all();
	const counts = { train: 0, val: 0, test: 0 };
	for (const row of rows) counts[row.split] = row.n;
	return counts;
}

/** The tags in use in a project, most used first, for the filter. */
export function listProjectTags(db: Db, projectId: number, limit = 200) {
	return db
		.select({ tag: exampleTag.tag, n: count() })
		.from(exampleTag)
		.innerJoin(example, eq(example.id, exampleTag.exampleId))
		.where(eq(example.projectId, projectId))
		.groupBy(exampleTag.tag)
		.orderBy(desc(count()), asc(exampleTag.tag))
		.limit(limit)
		.all();
}

/** One example with its revisions and reviews, oldest revision first. */
export function getExampleDetail(db: Db, projectId: number, exampleId: number) {
	const found = db
		.select()
		.from(example)
		.where(and(eq(example.id, exampleId), eq(example.projectId, projectId)))
		.get();
	if (!found) return null;
	const revisions = db
		.select({
			id: revision.id,
			number: revision.number,
			output: revision.output,
			authorKind: revision.authorKind,
			reason: revision.reason,
			schemaValid: revision.schemaValid,
			schemaErrors: revision.schemaErrors,
			createdAt: revision.createdAt
		})
		.from(revision)
		.where(eq(revision.exampleId, exampleId))
		.orderBy(asc(revision.number))
		.all();
	const reviewCounts = db
		.select({ revisionId: review.revisionId, n: count() })
		.from(review)
		.where(eq(review.exampleId, exampleId))
		.groupBy(review.revisionId)
		.all();
	return {
		example: {
			id: found.id,
			externalId: found.externalId,
			input: found.input,
			status: found.status,
			split: found.split,
			source: found.source,
			finalRating: found.finalRating,
			currentRevisionId: found.currentRevisionId,
			createdAt: found.createdAt
		},
		tags: tagsFor(db, [exampleId]).get(exampleId) ?? [],
		revisions: revisions.map((r) => ({
			...r,
			reviews: reviewCounts.find((c) => c.revisionId === r.id)?.n ?? 0
		}))
	};
}
