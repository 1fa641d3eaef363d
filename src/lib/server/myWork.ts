import { aliasedTable, and, count, desc, eq, gte, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from './db';
import { example, review, revision } from './db/schema';
import { wilsonInterval } from '../agreement';
import type { RatingScale } from '../ratings';

const DAY_MS = 86_400_000;
/** Agreement is read over this many of the person's latest reviews, so the page stays quick. */
export const RECENT_REVIEWS = 2000;

/** A share with its 95% Wilson interval, or null where nothing was counted. */
export type Share = { agreed: number; of: number; share: number; low: number; high: number };

export type MyWork = {
	reviews: number;
	/** Reviews per UTC day over the last `days` days, oldest first, today last. */
	perDay: { day: string; reviews: number }[];
	/** Each time another person rated an output this person rated, over their latest reviews. */
	others: { exact: Share | null; withinOne: Share | null };
	/** Against an admin's true rating of each gold example, a day after the review. */
	gold: { exact: Share | null; withinOne: Share | null };
};

function shareOf(agreed: number, of: number): Share | null {
	const interval = wilsonInterval(agreed, of);
	return interval && { agreed, of, share: agreed / of, ...interval };
}

const tally = (test: ReturnType<typeof sql>) =>
	sql<number>`coalesce(sum(case when ${test} then 1 else 0 end), 0)`;

/**
 * One person's own figures in one project: how much they reviewed and when, how often they
 * rate as the others who rated the same output do, and how they do on gold. Each is one
 * aggregate over an index, so a person with a year of reviews waits no longer than anyone.
 *
 * A review of one's own repair (a project may count the repairer's review) is not a choice
 * the person made, so it is left out. Gold counts a review only from a day after it was
 * made: the figure moving at once would say which examples are gold, and undo could then
 * chase the right answer.
 */
export async function myWork(
	db: Db,
	projectId: number,
	userId: string,
	scale: RatingScale,
	{ now = new Date(), days = 28 }: { now?: Date; days?: number } = {}
): Promise<MyWork> {
	const today = Math.floor(now.getTime() / DAY_MS);
	const firstDay = today - (days - 1);
	const chosen = and(
		eq(example.projectId, projectId),
		eq(review.userId, userId),
		or(isNull(revision.authorUserId), ne(revision.authorUserId, userId))
	);
	const mine = () =>
		db
			.select({
				id: review.id,
				revisionId: review.revisionId,
				rating: review.rating,
				createdAt: review.createdAt
			})
			.from(review)
			.innerJoin(example, eq(example.id, review.exampleId))
			.innerJoin(revision, eq(revision.id, review.revisionId));
	const recent = mine().where(chosen).orderBy(desc(review.id)).limit(RECENT_REVIEWS).as('recent');
	const other = aliasedTable(review, 'other_review');
	const stars = scale === 'five_star';

	const [total, lately, pairs, gold] = await Promise.all([
		db
			.select({ n: count() })
			.from(review)
			.innerJoin(example, eq(example.id, review.exampleId))
			.innerJoin(revision, eq(revision.id, review.revisionId))
			.where(chosen)
			.limit(1),
		mine().where(and(chosen, gte(review.createdAt, new Date(firstDay * DAY_MS)))),
		db
			.select({
				of: count(),
				exact: tally(sql`${other.rating} = ${recent.rating}`),
				withinOne: tally(sql`abs(${other.rating} - ${recent.rating}) <= 1`)
			})
			.from(recent)
			.innerJoin(other, and(eq(other.revisionId, recent.revisionId), ne(other.userId, userId)))
			.limit(1),
		db
			.select({
				of: count(),
				exact: tally(sql`${review.rating} = ${example.goldRating}`),
				withinOne: tally(sql`abs(${review.rating} - ${example.goldRating}) <= 1`)
			})
			.from(review)
			.innerJoin(example, eq(review.revisionId, example.currentRevisionId))
			.where(
				and(
					eq(example.projectId, projectId),
					eq(example.isGold, true),
					eq(review.userId, userId),
					lt(review.createdAt, new Date(now.getTime() - DAY_MS))
				)
			)
			.limit(1)
	]);

	const counts = new Map<number, number>();
	for (const { createdAt } of lately) {
		const day = Math.floor(createdAt.getTime() / DAY_MS);
		counts.set(day, (counts.get(day) ?? 0) + 1);
	}
	const perDay = Array.from({ length: days }, (_, i) => ({
		day: new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10),
		reviews: counts.get(firstDay + i) ?? 0
	}));
	const measured = (row: { of: number; exact: number; withinOne: number } | undefined) => ({
		exact: shareOf(Number(row?.exact ?? 0), Number(row?.of ?? 0)),
		withinOne: stars ? shareOf(Number(row?.withinOne ?? 0), Number(row?.of ?? 0)) : null
	});
	return {
		reviews: Number(total[0]?.n ?? 0),
		perDay,
		others: measured(pairs[0]),
		gold: measured(gold[0])
	};
}
