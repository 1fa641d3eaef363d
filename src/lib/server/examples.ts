import { and, asc, count, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { notStaged, staged } from './import/staging';
import { dialectOf, type Db, type Queryable } from './db';
import {
	adjudication,
	example,
	exampleTag,
	model,
	project,
	requirement,
	review,
	reviewRequirementRating,
	revision,
	user,
	type Example,
	type ExampleSource,
	type Project,
	type Role
} from './db/schema';
import type { ExampleFilter, ExampleGridOrder } from '../schemas/examples';
import { statusReason } from '../ratings';
import { listAdjudications } from './adjudication';
import { liveLeases } from './queue';
import { requeueExamples } from './reviews';

export const EXAMPLES_PAGE_SIZE = 50;
const PREVIEW_CHARS = 240;

/** Text for LIKE with the wildcards in it taken literally. */
function likePattern(text: string): string {
	return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** What the examples page's filter selects, for a query that joins the current revision. */
export function filterConditions(db: Queryable, projectId: number, filter: ExampleFilter): SQL[] {
	return [notStaged(), ...filterTerms(db, projectId, filter)];
}

/**
 * The filter's own terms, staged imports left in. `byBatch` keeps the planner off the
 * project's indexes (a unary plus hides the column from them in SQLite and PostgreSQL alike),
 * so that a query of staged rows finds them by their batch instead.
 */
function filterTerms(
	db: Queryable,
	projectId: number,
	filter: ExampleFilter,
	byBatch = false
): SQL[] {
	const conditions: SQL[] = [
		byBatch ? sql`+${example.projectId} = ${projectId}` : eq(example.projectId, projectId)
	];
	if (filter.status) conditions.push(eq(example.status, filter.status));
	if (filter.split) conditions.push(eq(example.split, filter.split));
	if (filter.source) conditions.push(eq(example.source, filter.source));
	if (filter.job) conditions.push(eq(example.jobId, filter.job));
	if (filter.ids) conditions.push(inArray(example.id, filter.ids));
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
			or(dialectOf(db).like(example.input, pattern), dialectOf(db).like(revision.output, pattern))!
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

/** What a list of examples shows of each, the current revision joined. */
const listColumns = {
	id: example.id,
	inputPreview: sql<string>`substr(${example.input}, 1, ${PREVIEW_CHARS})`,
	outputPreview: sql<string | null>`substr(${revision.output}, 1, ${PREVIEW_CHARS})`,
	status: example.status,
	split: example.split,
	source: example.source,
	finalRating: example.finalRating,
	createdAt: example.createdAt
};

/**
 * One page of a project's examples, newest first, by keyset on id: `before` pages on to
 * older ones, `after` back to newer ones. Every filter runs on an index, so a page costs
 * the same at 100 or 100,000 examples.
 */
export async function listExamples(db: Db, projectId: number, filter: ExampleFilter) {
	const conditions = filterConditions(db, projectId, filter);
	const goingBack = !filter.before && !!filter.after;
	if (filter.before) conditions.push(lt(example.id, filter.before));
	else if (filter.after) conditions.push(gt(example.id, filter.after));
	const rows = await db
		.select(listColumns)
		.from(example)
		.leftJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(and(...conditions))
		.orderBy(goingBack ? asc(example.id) : desc(example.id))
		.limit(EXAMPLES_PAGE_SIZE + 1);
	const hasMore = rows.length > EXAMPLES_PAGE_SIZE;
	const page = rows.slice(0, EXAMPLES_PAGE_SIZE);
	if (goingBack) page.reverse();
	const tags = await tagsFor(
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

export type ExampleGridItem = ExampleListItem & {
	reviewCount: number;
	updatedAt: Date;
	/** Why the example has its status, in a few words. */
	statusReason: string;
};

/** How the examples grid orders by each column; id breaks ties, in the same direction. */
function gridOrder(order: ExampleGridOrder): SQL[] {
	const direction = order.dir === 'asc' ? asc : desc;
	const tieBreak = direction(example.id);
	if (order.sort === 'reviews') return [direction(example.reviewCount), tieBreak];
	if (order.sort === 'activity') return [direction(example.updatedAt), tieBreak];
	if (order.sort === 'rating') {
		// Unrated examples come last whichever way the ratings go.
		return [asc(sql`${example.finalRating} is null`), direction(example.finalRating), tieBreak];
	}
	return [tieBreak];
}

/**
 * One page of the examples grid: a filter, sorted by a column, with the count of all that
 * match and why each example has its status. Only an admin is told which examples are gold:
 * annotators are served them like any other.
 */
export async function listExampleGrid(
	db: Db,
	target: Pick<Project, 'id' | 'ratingScale' | 'threshold' | 'aggregation' | 'reviewsRequired'>,
	filter: ExampleFilter,
	order: ExampleGridOrder,
	viewer: { role: Role }
): Promise<{ items: ExampleGridItem[]; total: number; pageSize: number }> {
	// The page's ids first, sorting narrow rows; then the previews of those fifty alone.
	const where = and(...filterConditions(db, target.id, filter));
	const offset = (order.page - 1) * EXAMPLES_PAGE_SIZE;
	const pageIds = (
		filter.q
			? await db
					.select({ id: example.id })
					.from(example)
					.leftJoin(revision, eq(revision.id, example.currentRevisionId))
					.where(where)
					.orderBy(...gridOrder(order))
					.limit(EXAMPLES_PAGE_SIZE)
					.offset(offset)
			: await db
					.select({ id: example.id })
					.from(example)
					.where(where)
					.orderBy(...gridOrder(order))
					.limit(EXAMPLES_PAGE_SIZE)
					.offset(offset)
	).map((r) => r.id);
	const found =
		pageIds.length === 0
			? []
			: await db
					.select({
						...listColumns,
						reviewCount: example.reviewCount,
						isGold: example.isGold,
						goldRating: example.goldRating,
						currentRevisionId: example.currentRevisionId,
						updatedAt: example.updatedAt
					})
					.from(example)
					.leftJoin(revision, eq(revision.id, example.currentRevisionId))
					.where(inArray(example.id, pageIds));
	const byId = new Map(found.map((r) => [r.id, r]));
	const rows = pageIds.flatMap((id) => byId.get(id) ?? []);
	const total = await countExamplesMatching(db, target.id, filter);
	const ids = rows.map((r) => r.id);
	const revisionIds = rows.flatMap((r) =>
		r.currentRevisionId === null ? [] : [r.currentRevisionId]
	);
	const [tags, reviews, adjudicated] = await Promise.all([
		tagsFor(db, ids),
		revisionIds.length === 0
			? []
			: db
					.select({
						revisionId: review.revisionId,
						rating: review.rating,
						decision: review.decision
					})
					.from(review)
					.where(inArray(review.revisionId, revisionIds)),
		revisionIds.length === 0
			? []
			: db
					.select({ revisionId: adjudication.revisionId })
					.from(adjudication)
					.where(inArray(adjudication.revisionId, revisionIds))
	]);
	const adjudicatedRevisions = new Set(adjudicated.map((a) => a.revisionId));
	const items = rows.map(({ currentRevisionId, isGold, goldRating, ...row }) => ({
		...row,
		tags: tags.get(row.id) ?? [],
		statusReason: statusReason(
			{
				status: row.status,
				hasOutput: row.outputPreview !== null,
				reviewCount: row.reviewCount,
				finalRating: row.finalRating,
				isGold: viewer.role === 'admin' && isGold,
				goldRating: viewer.role === 'admin' ? goldRating : null,
				adjudicated: currentRevisionId !== null && adjudicatedRevisions.has(currentRevisionId),
				reviews: reviews.filter((r) => r.revisionId === currentRevisionId)
			},
			target
		)
	}));
	return { items, total, pageSize: EXAMPLES_PAGE_SIZE };
}

async function tagsFor(db: Db, exampleIds: number[]): Promise<Map<number, string[]>> {
	const byExample = new Map<number, string[]>();
	if (exampleIds.length === 0) return byExample;
	const rows = await db
		.select()
		.from(exampleTag)
		.where(inArray(exampleTag.exampleId, exampleIds))
		.orderBy(asc(dialectOf(db).byCodePoint(exampleTag.tag)));
	for (const row of rows) {
		const list = byExample.get(row.exampleId) ?? [];
		list.push(row.tag);
		byExample.set(row.exampleId, list);
	}
	return byExample;
}

/** How many examples the project has in each status. */
export async function countByStatus(db: Db, projectId: number) {
	const rows = await db
		.select({ status: example.status, n: count() })
		.from(example)
		.where(and(eq(example.projectId, projectId), notStaged()))
		.groupBy(example.status);
	const counts = { queued: 0, in_review: 0, accepted: 0, rejected: 0, disputed: 0, total: 0 };
	for (const row of rows) {
		counts[row.status] = row.n;
		counts.total += row.n;
	}
	return counts;
}

export async function countBySplit(db: Db, projectId: number) {
	const rows = await db
		.select({ split: example.split, n: count() })
		.from(example)
		.where(and(eq(example.projectId, projectId), notStaged()))
		.groupBy(example.split);
	const counts = { train: 0, val: 0, test: 0 };
	for (const row of rows) counts[row.split] = row.n;
	return counts;
}

/** The tags in use in a project, most used first, for the filter. */
export async function listProjectTags(db: Db, projectId: number, limit = 200) {
	return await db
		.select({ tag: exampleTag.tag, n: count() })
		.from(exampleTag)
		.innerJoin(example, eq(example.id, exampleTag.exampleId))
		.where(and(eq(example.projectId, projectId), notStaged()))
		.groupBy(exampleTag.tag)
		.orderBy(desc(count()), asc(dialectOf(db).byCodePoint(exampleTag.tag)))
		.limit(limit);
}

/** Who made a revision. `name` is a person's display name, or a model's name for admins only. */
export type RevisionAuthor = { kind: 'import' | 'model' | 'user'; name: string | null };

/**
 * What a revision did: the first output, a repair by a person, a new output from a model or
 * file, or a re-queue (the same output again, so it is reviewed afresh).
 */
export type RevisionChange = 'first' | 'repair' | 'output' | 'requeue';

export type TimelineEvent =
	| {
			kind: 'created';
			at: Date;
			author: RevisionAuthor;
			/** Where the example came from: admins only, since it can name the model. */
			origin: { source: ExampleSource; jobId: number | null } | null;
	  }
	| {
			kind: 'revision';
			at: Date;
			number: number;
			change: Exclude<RevisionChange, 'first'>;
			author: RevisionAuthor;
			reason: string | null;
	  }
	| {
			kind: 'review';
			at: Date;
			revisionNumber: number;
			reviewer: string;
			rating: number;
			decision: 'accept' | 'reject' | 'repair';
	  }
	| {
			kind: 'adjudication';
			at: Date;
			revisionNumber: number;
			adjudicator: string;
			rating: number;
			decision: 'accept' | 'reject' | 'repair';
			reason: string;
	  };

/**
 * One example with every revision and every review on it, oldest first, and its history.
 * Annotators review blind: unless `viewer` is an admin, no model name, source or job is read.
 */
export async function getExampleDetail(
	db: Db,
	projectId: number,
	exampleId: number,
	viewer: { role: Role }
) {
	const seesOrigin = viewer.role === 'admin';
	const found = (
		await db
			.select()
			.from(example)
			.where(and(eq(example.id, exampleId), eq(example.projectId, projectId), notStaged()))
			.limit(1)
	)[0];
	if (!found) return null;
	const revisionRows = await db
		.select({
			id: revision.id,
			number: revision.number,
			output: revision.output,
			authorKind: revision.authorKind,
			authorUserName: user.displayName,
			authorModelId: revision.authorModelId,
			reason: revision.reason,
			schemaValid: revision.schemaValid,
			schemaErrors: revision.schemaErrors,
			createdAt: revision.createdAt
		})
		.from(revision)
		.leftJoin(user, eq(user.id, revision.authorUserId))
		.where(eq(revision.exampleId, exampleId))
		.orderBy(asc(revision.number));
	const modelNames = seesOrigin
		? await modelNamesFor(
				db,
				revisionRows.map((r) => r.authorModelId)
			)
		: new Map<number, string>();
	const reviews = await reviewsOf(db, exampleId);

	const revisions = revisionRows.map((r, index) => {
		const previous = index > 0 ? revisionRows[index - 1] : null;
		const author: RevisionAuthor = {
			kind: r.authorKind,
			name:
				r.authorKind === 'user'
					? r.authorUserName
					: r.authorKind === 'model' && r.authorModelId !== null
						? (modelNames.get(r.authorModelId) ?? null)
						: null
		};
		const change: RevisionChange = !previous
			? 'first'
			: r.output === previous.output
				? 'requeue'
				: r.authorKind === 'user'
					? 'repair'
					: 'output';
		return {
			id: r.id,
			number: r.number,
			output: r.output,
			author,
			change,
			reason: r.reason,
			schemaValid: r.schemaValid,
			schemaErrors: r.schemaErrors,
			createdAt: r.createdAt,
			reviews: reviews.filter((v) => v.revisionId === r.id)
		};
	});

	return {
		example: {
			id: found.id,
			externalId: found.externalId,
			input: found.input,
			status: found.status,
			split: found.split,
			finalRating: found.finalRating,
			finalDecision: found.finalDecision,
			currentRevisionId: found.currentRevisionId,
			createdAt: found.createdAt,
			updatedAt: found.updatedAt
		},
		origin: seesOrigin ? { source: found.source, jobId: found.jobId } : null,
		/** Admins only: gold examples are served like any other, so annotators are not told. */
		gold:
			seesOrigin && found.isGold && found.goldRating !== null ? { rating: found.goldRating } : null,
		tags: (await tagsFor(db, [exampleId])).get(exampleId) ?? [],
		revisions,
		timeline: [
			...timelineOf(found.createdAt, revisions, seesOrigin ? found : null),
			...(await adjudicationsOf(db, exampleId))
		].sort((a, b) => a.at.getTime() - b.at.getTime())
	};
}

async function modelNamesFor(db: Db, ids: (number | null)[]): Promise<Map<number, string>> {
	const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
	if (wanted.length === 0) return new Map();
	const rows = await db
		.select({ id: model.id, name: model.name })
		.from(model)
		.where(inArray(model.id, wanted));
	return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Every review of an example of the project, as its page shows them to any member; null when
 * the project has no such example (or it is still being imported).
 */
export async function listExampleReviews(db: Db, projectId: number, exampleId: number) {
	const found = await db
		.select({ id: example.id })
		.from(example)
		.where(and(eq(example.id, exampleId), eq(example.projectId, projectId), notStaged()))
		.limit(1);
	return found.length === 0 ? null : await reviewsOf(db, exampleId);
}

/** Every review of the example, oldest first, with its per-requirement ratings by name. */
async function reviewsOf(db: Db, exampleId: number) {
	const rows = await db
		.select({
			id: review.id,
			revisionId: review.revisionId,
			reviewer: user.displayName,
			username: user.username,
			rating: review.rating,
			decision: review.decision,
			comment: review.comment,
			durationMs: review.durationMs,
			createdAt: review.createdAt
		})
		.from(review)
		.innerJoin(user, eq(user.id, review.userId))
		.where(eq(review.exampleId, exampleId))
		.orderBy(asc(review.createdAt), asc(review.id));
	const ratings =
		rows.length === 0
			? []
			: await db
					.select({
						reviewId: reviewRequirementRating.reviewId,
						requirementId: requirement.id,
						name: requirement.name,
						rating: reviewRequirementRating.rating
					})
					.from(reviewRequirementRating)
					.innerJoin(requirement, eq(requirement.id, reviewRequirementRating.requirementId))
					.where(
						inArray(
							reviewRequirementRating.reviewId,
							rows.map((r) => r.id)
						)
					)
					.orderBy(asc(requirement.position), asc(requirement.id));
	return rows.map((r) => ({
		...r,
		requirementRatings: ratings
			.filter((x) => x.reviewId === r.id)
			.map(({ requirementId, name, rating }) => ({ requirementId, name, rating }))
	}));
}

/** An admin's resolutions of the example's disputes, as timeline events. */
async function adjudicationsOf(db: Db, exampleId: number): Promise<TimelineEvent[]> {
	return (await listAdjudications(db, exampleId)).map((row) => ({
		kind: 'adjudication',
		at: row.createdAt,
		revisionNumber: row.revisionNumber,
		adjudicator: row.adjudicator,
		rating: row.rating,
		decision: row.decision,
		reason: row.reason
	}));
}

/** The example's history in time order; a repair's review comes before the revision it made. */
function timelineOf(
	createdAt: Date,
	revisions: {
		number: number;
		author: RevisionAuthor;
		change: RevisionChange;
		reason: string | null;
		createdAt: Date;
		reviews: Awaited<ReturnType<typeof reviewsOf>>;
	}[],
	origin: Pick<Example, 'source' | 'jobId'> | null
): TimelineEvent[] {
	const events: TimelineEvent[] = [];
	for (const r of revisions) {
		if (r.change === 'first') {
			events.push({
				kind: 'created',
				at: createdAt,
				author: r.author,
				origin: origin && { source: origin.source, jobId: origin.jobId }
			});
		} else {
			events.push({
				kind: 'revision',
				at: r.createdAt,
				number: r.number,
				change: r.change,
				author: r.author,
				reason: r.reason
			});
		}
		for (const v of r.reviews) {
			events.push({
				kind: 'review',
				at: v.createdAt,
				revisionNumber: r.number,
				reviewer: v.reviewer,
				rating: v.rating,
				decision: v.decision
			});
		}
	}
	// Stable: events at the same instant keep the order above.
	return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The example's live leases with the holder's name, for admins. */
export async function leaseHolders(db: Db, exampleId: number, now: Date) {
	const leases = await liveLeases(db, exampleId, now);
	if (leases.length === 0) return [];
	const names = new Map(
		(
			await db
				.select({ id: user.id, name: user.displayName })
				.from(user)
				.where(
					inArray(
						user.id,
						leases.map((l) => l.userId)
					)
				)
		).map((u) => [u.id, u.name])
	);
	return leases.map((l) => ({
		holder: names.get(l.userId) ?? 'a removed account',
		leasedAt: l.leasedAt,
		leaseExpiresAt: l.leaseExpiresAt
	}));
}

/** The most examples one filter may select for a bulk change. */
export const MATCHING_CAP = 100_000;

/** Ids of the examples a filter selects (cursors ignored), oldest first, at most `cap`. */
export async function exampleIdsMatching(
	db: Queryable,
	projectId: number,
	filter: ExampleFilter,
	cap = MATCHING_CAP
): Promise<number[]> {
	return (
		await db
			.select({ id: example.id })
			.from(example)
			.leftJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(and(...filterConditions(db, projectId, filter)))
			.orderBy(asc(example.id))
			.limit(cap)
	).map((r) => r.id);
}

/** How many examples a filter selects (cursors ignored). */
export async function countExamplesMatching(
	db: Db,
	projectId: number,
	filter: ExampleFilter
): Promise<number> {
	// Every match less the staged ones, in one statement so both see the same moment: the
	// first count reads an index alone where the filter allows, the second the few staged rows
	// by their batch. The current revision is joined only for a text search.
	const countOf = (where: SQL | undefined) => {
		const query = db.select({ n: count() }).from(example);
		return filter.q
			? query.leftJoin(revision, eq(revision.id, example.currentRevisionId)).where(where)
			: query.where(where);
	};
	const all = countOf(and(...filterTerms(db, projectId, filter)));
	const inStaging = countOf(and(staged(), ...filterTerms(db, projectId, filter, true)));
	const rows = await db
		.select({ n: sql<number>`(${all}) - (${inStaging})`.mapWith(Number) })
		.from(project)
		.where(eq(project.id, projectId));
	return rows[0]?.n ?? 0;
}

// SQLite takes at most 32,766 bound values in one statement.
const REQUEUE_CHUNK = 10_000;

/**
 * Sends every example a filter selects (up to the cap) back for fresh reviews, as one
 * transaction: the selection and all the re-queues commit together or not at all.
 */
export async function requeueMatching(
	db: Db,
	projectId: number,
	filter: ExampleFilter,
	now: Date,
	chunk = REQUEUE_CHUNK
): Promise<number> {
	return await db.transaction(async (tx) => {
		const ids = await exampleIdsMatching(tx, projectId, filter);
		let requeued = 0;
		for (let start = 0; start < ids.length; start += chunk) {
			requeued += await requeueExamples(tx, projectId, ids.slice(start, start + chunk), now);
		}
		return requeued;
	});
}
