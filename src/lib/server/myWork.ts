import { aliasedTable, and, asc, eq, ne } from 'drizzle-orm';
import type { Db } from './db';
import { example, review } from './db/schema';
import { wilsonInterval } from '../agreement';
import type { RatingScale } from '../ratings';

const DAY_MS = 86_400_000;

/** A share with its 95% Wilson interval, or null where nothing was counted. */
export type Share = { agreed: number; of: number; share: number; low: number; high: number };

export type MyWork = {
	reviews: number;
	/** Reviews per UTC day over the last `days` days, oldest first, today last. */
	perDay: { day: string; reviews: number }[];
	/** Against the median of the other reviewers of the same revision. */
	consensus: { exact: Share | null; withinOne: Share | null; units: number };
	/** Against the rating an admin gave each gold example. */
	gold: { exact: Share | null; withinOne: Share | null };
};

function shareOf(agreed: number, of: number): Share | null {
	const interval = wilsonInterval(agreed, of);
	return interval && { agreed, of, share: agreed / of, ...interval };
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * One person's own figures in one project: how much they reviewed and when, how often they
 * agree with the others who reviewed the same output, and how they do on gold. Nobody
 * else's figures are read out: the consensus is the others' median, never their names.
 */
export async function myWork(
	db: Db,
	projectId: number,
	userId: string,
	scale: RatingScale,
	{ now = new Date(), days = 28 }: { now?: Date; days?: number } = {}
): Promise<MyWork> {
	const other = aliasedTable(review, 'other_review');
	const [mine, others, gold] = await Promise.all([
		db
			.select({ createdAt: review.createdAt })
			.from(review)
			.innerJoin(example, eq(example.id, review.exampleId))
			.where(and(eq(example.projectId, projectId), eq(review.userId, userId))),
		db
			.select({ revisionId: review.revisionId, mine: review.rating, theirs: other.rating })
			.from(review)
			.innerJoin(example, eq(example.id, review.exampleId))
			.innerJoin(other, and(eq(other.revisionId, review.revisionId), ne(other.userId, userId)))
			.where(and(eq(example.projectId, projectId), eq(review.userId, userId)))
			.orderBy(asc(review.revisionId)),
		db
			.select({ mine: review.rating, truth: example.goldRating })
			.from(review)
			.innerJoin(example, eq(review.revisionId, example.currentRevisionId))
			.where(
				and(eq(example.projectId, projectId), eq(example.isGold, true), eq(review.userId, userId))
			)
	]);

	const today = Math.floor(now.getTime() / DAY_MS);
	const counts = new Map<number, number>();
	for (const { createdAt } of mine) {
		const day = Math.floor(createdAt.getTime() / DAY_MS);
		counts.set(day, (counts.get(day) ?? 0) + 1);
	}
	const perDay = Array.from({ length: days }, (_, i) => {
		const day = today - (days - 1) + i;
		return {
			day: new Date(day * DAY_MS).toISOString().slice(0, 10),
			reviews: counts.get(day) ?? 0
		};
	});

	const units = new Map<number, { mine: number; theirs: number[] }>();
	for (const row of others) {
		const unit = units.get(row.revisionId) ?? { mine: row.mine, theirs: [] };
		unit.theirs.push(row.theirs);
		units.set(row.revisionId, unit);
	}
	const gaps = [...units.values()].map((u) => Math.abs(u.mine - median(u.theirs)));
	const stars = scale === 'five_star';
	const golden = gold.flatMap((g) => (g.truth === null ? [] : [Math.abs(g.mine - g.truth)]));
	return {
		reviews: mine.length,
		perDay,
		consensus: {
			exact: shareOf(gaps.filter((g) => g === 0).length, gaps.length),
			withinOne: stars ? shareOf(gaps.filter((g) => g <= 1).length, gaps.length) : null,
			units: gaps.length
		},
		gold: {
			exact: shareOf(golden.filter((g) => g === 0).length, golden.length),
			withinOne: stars ? shareOf(golden.filter((g) => g <= 1).length, golden.length) : null
		}
	};
}
