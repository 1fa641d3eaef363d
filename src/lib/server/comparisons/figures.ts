import { asc, count, eq } from 'drizzle-orm';
import type { Db } from '../db';
import { comparison, comparisonJudgment, user, type Project } from '../db/schema';
import {
	bootstrapAlpha,
	fleissKappa,
	wilsonInterval,
	type AlphaInterval,
	type Outcome,
	type Statistic
} from '../../agreement';
import { bootstrapUnits, type Interval } from '../../labelAgreement';

// How far people agree on comparisons, and whether they lean to one side of the screen.
// Agreement reads each judgment as one of three categories in the comparison's own order —
// first better, second better, tie — so it does not depend on the side each person saw.
// Position bias reads the same judgments by the side picked: among judgments that chose an
// output, the share that chose the left one.

const CATEGORY = { first: 0, second: 1, tie: 2 } as const;

/** A share of left picks is flagged outside 50% ± this, when its interval also leaves out 50%. */
export const POSITION_TOLERANCE = 0.05;

export type PositionBias = {
	/** Judgments that chose an output (not ties). */
	picks: number;
	left: number;
	share: number | null;
	low: number | null;
	high: number | null;
	flagged: boolean;
};

export type ComparisonFigures = {
	counts: { open: number; settled: number; disputed: number };
	/** Comparisons with two judgments or more. */
	units: number;
	alpha: Outcome<AlphaInterval>;
	/** Fleiss' kappa, ties a category of their own; needs the same number of judgments on each. */
	kappa: Interval;
	position: PositionBias;
	annotators: {
		userId: string;
		name: string;
		judgments: number;
		ties: number;
		position: PositionBias;
		/** On gold comparisons: the share matching the known answer, with its Wilson interval. */
		gold: { judged: number; right: number; low: number | null; high: number | null };
	}[];
};

/** The share of left picks with its 95% Wilson interval, flagged as the module says. */
export function positionBias(picks: number, left: number): PositionBias {
	const interval = wilsonInterval(left, picks);
	const share = picks === 0 ? null : left / picks;
	const flagged =
		share !== null &&
		interval !== null &&
		Math.abs(share - 0.5) > POSITION_TOLERANCE &&
		(interval.low > 0.5 || interval.high < 0.5);
	return {
		picks,
		left,
		share,
		low: interval?.low ?? null,
		high: interval?.high ?? null,
		flagged
	};
}

/** Whether a judgment picked the output on the left. */
const pickedLeft = (j: { preferred: string; firstOnLeft: boolean }) =>
	(j.preferred === 'first') === j.firstOnLeft;

export async function comparisonFigures(
	db: Db,
	target: Project
): Promise<ComparisonFigures | null> {
	const statuses = await db
		.select({ status: comparison.status, n: count() })
		.from(comparison)
		.where(eq(comparison.projectId, target.id))
		.groupBy(comparison.status);
	if (statuses.length === 0) return null;
	const counts = { open: 0, settled: 0, disputed: 0 };
	for (const row of statuses) counts[row.status] = row.n;
	const judgments = await db
		.select({
			comparisonId: comparisonJudgment.comparisonId,
			userId: comparisonJudgment.userId,
			name: user.displayName,
			preferred: comparisonJudgment.preferred,
			firstOnLeft: comparisonJudgment.firstOnLeft,
			goldPreferred: comparison.goldPreferred
		})
		.from(comparisonJudgment)
		.innerJoin(comparison, eq(comparison.id, comparisonJudgment.comparisonId))
		.innerJoin(user, eq(user.id, comparisonJudgment.userId))
		.where(eq(comparison.projectId, target.id))
		.orderBy(asc(comparisonJudgment.id));

	// Agreement over ordinary comparisons: a gold one's answer is known, not agreed.
	const byComparison = new Map<number, number[]>();
	for (const j of judgments) {
		if (j.goldPreferred !== null) continue;
		const unit = byComparison.get(j.comparisonId) ?? [];
		unit.push(CATEGORY[j.preferred]);
		byComparison.set(j.comparisonId, unit);
	}
	const units = [...byComparison.values()].filter((u) => u.length >= 2);
	const kappaOf = (data: readonly (readonly number[])[]): Statistic => fleissKappa(data);

	const chose = judgments.filter((j) => j.preferred !== 'tie');
	const people = new Map<string, typeof judgments>();
	for (const j of judgments) {
		const own = people.get(j.userId) ?? [];
		own.push(j);
		people.set(j.userId, own);
	}
	return {
		counts,
		units: units.length,
		alpha: bootstrapAlpha(units, 'nominal'),
		// Fleiss' kappa needs the same number of judgments on every unit: the complete ones.
		kappa: bootstrapUnits(
			units.filter((u) => u.length === target.reviewsRequired),
			kappaOf
		),
		position: positionBias(chose.length, chose.filter(pickedLeft).length),
		annotators: [...people].map(([userId, own]) => {
			const picks = own.filter((j) => j.preferred !== 'tie');
			const gold = own.filter((j) => j.goldPreferred !== null);
			const right = gold.filter((j) => j.preferred === j.goldPreferred).length;
			const interval = wilsonInterval(right, gold.length);
			return {
				userId,
				name: own[0].name,
				judgments: own.length,
				ties: own.length - picks.length,
				position: positionBias(picks.length, picks.filter(pickedLeft).length),
				gold: {
					judged: gold.length,
					right,
					low: interval?.low ?? null,
					high: interval?.high ?? null
				}
			};
		})
	};
}
