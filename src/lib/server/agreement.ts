import { and, asc, count, countDistinct, eq } from 'drizzle-orm';
import type { Db } from './db';
import {
	adjudication,
	example,
	project,
	requirement,
	review,
	reviewRequirementRating,
	user
} from './db/schema';
import {
	bootstrapAlpha,
	cohenKappa,
	fleissKappa,
	krippendorffAlpha,
	median,
	percentAgreement,
	type AlphaInterval,
	type LevelOfMeasurement,
	type Outcome,
	type Rating,
	type Statistic
} from '../agreement';
import { SCALES, type RatingScale } from '../ratings';
import { notStaged } from './import/staging';

// The agreement figures of one project, as plain data: the agreement page renders them and the
// API will return them, so every definition lives here once.
//
// A unit is one revision of an example; its ratings are the reviews of that revision, one column
// per annotator. A repair starts a new revision, so the reviews before and after it are
// separate units: they judged different outputs.

export const BOOTSTRAP_REPLICATES = 500;

/** Ordinal for ranked scales; five stars are also reported as interval, beside it. */
export function levelsOf(scale: RatingScale): {
	level: LevelOfMeasurement;
	alsoLevel: LevelOfMeasurement | null;
} {
	if (scale === 'pass_fail') return { level: 'nominal', alsoLevel: null };
	if (scale === 'five_star') return { level: 'ordinal', alsoLevel: 'interval' };
	return { level: 'ordinal', alsoLevel: null };
}

export type Reading = 'reliable' | 'tentative' | 'unreliable';

/** Krippendorff's guideline: .800 and above reliable, .667 to .800 for tentative conclusions. */
export function readAlpha(alpha: number): { reading: Reading; text: string } {
	if (alpha >= 0.8) {
		return { reading: 'reliable', text: 'Reliable: the ratings can be relied on.' };
	}
	if (alpha >= 0.667) {
		return {
			reading: 'tentative',
			text: 'Tentative: good enough for tentative conclusions only.'
		};
	}
	return {
		reading: 'unreliable',
		text: 'Unreliable: the annotators agree too little to rely on the ratings.'
	};
}

/** ISO 8601 week of a date in UTC, as "2025-W09", and the Monday it starts on. */
export function isoWeek(date: Date): { week: string; start: string } {
	const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
	const weekday = day.getUTCDay() || 7;
	const monday = new Date(day.getTime() - (weekday - 1) * 86_400_000);
	// The week belongs to the year of its Thursday.
	const thursday = new Date(monday.getTime() + 3 * 86_400_000);
	const year = thursday.getUTCFullYear();
	const firstThursday = new Date(Date.UTC(year, 0, 4));
	const firstMonday = new Date(
		firstThursday.getTime() - ((firstThursday.getUTCDay() || 7) - 1) * 86_400_000
	);
	const number = Math.round((monday.getTime() - firstMonday.getTime()) / (7 * 86_400_000)) + 1;
	return {
		week: `${year}-W${String(number).padStart(2, '0')}`,
		start: monday.toISOString().slice(0, 10)
	};
}

function mean(values: number[]): number | null {
	return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}

type ReviewRow = {
	id: number;
	revisionId: number;
	userId: string;
	rating: number;
	decision: 'accept' | 'reject' | 'repair';
	durationMs: number | null;
	createdAt: Date;
};

/** One row per unit, one column per annotator (in `annotatorIds` order). */
function matrixOf(
	rows: { revisionId: number; userId: string; rating: number }[],
	annotatorIds: string[]
): { unitIds: number[]; data: Rating[][] } {
	const column = new Map(annotatorIds.map((id, index) => [id, index]));
	const units = new Map<number, Rating[]>();
	for (const row of rows) {
		let unit = units.get(row.revisionId);
		if (!unit) {
			unit = annotatorIds.map(() => null);
			units.set(row.revisionId, unit);
		}
		unit[column.get(row.userId)!] = row.rating;
	}
	return { unitIds: [...units.keys()], data: [...units.values()] };
}

const NO_REVIEWS = { value: null, reason: 'there are no reviews yet' } as const;

/** Alpha, with "no reviews" said as such rather than as a lone coder. */
export function alphaOf(data: Rating[][], level: LevelOfMeasurement): Statistic {
	return data.length === 0 ? NO_REVIEWS : krippendorffAlpha(data, level);
}

const ratingsIn = (unit: readonly Rating[]) => unit.filter((r) => r !== null).length;

/** Fleiss' kappa on the units with the most common number of ratings (the larger on a tie). */
function fleissOnModalUnits(data: Rating[][]) {
	const frequency = new Map<number, number>();
	for (const unit of data) {
		const m = ratingsIn(unit);
		if (m >= 2) frequency.set(m, (frequency.get(m) ?? 0) + 1);
	}
	let raters = 0;
	let best = 0;
	for (const [m, units] of frequency) {
		if (units > best || (units === best && m > raters)) [raters, best] = [m, units];
	}
	if (raters === 0) {
		return {
			kappa: { value: null, reason: 'no unit has two or more ratings' } as Statistic,
			raters: 0,
			units: 0
		};
	}
	const used = data.filter((unit) => ratingsIn(unit) === raters);
	return { kappa: fleissKappa(used), raters, units: used.length };
}

export type PairKappa = { a: string; b: string; sharedUnits: number; kappa: Statistic };

export type AnnotatorQuality = {
	userId: string;
	displayName: string;
	reviews: number;
	/** Alpha of the data with this annotator's column removed. */
	alphaWithout: Statistic;
	/** Overall alpha minus alphaWithout: positive when this annotator raises agreement. */
	effectOnAlpha: number | null;
	meanRating: number | null;
	othersMeanRating: number | null;
	repairRate: number | null;
	medianSeconds: number | null;
	/** Reviews per scale value, in the scale's order. */
	distribution: { value: number; label: string; count: number }[];
	gold: GoldAccuracy;
};

/** How an annotator's ratings of gold examples compare with their true ratings. */
export type GoldAccuracy = {
	judged: number;
	/** Share rated exactly the true rating; null when they judged no gold example. */
	exact: number | null;
	/** Five stars only: share within one star of the true rating. */
	withinOne: number | null;
	/** Five stars only: mean of (their rating − true rating); negative rates harsher. */
	meanDifference: number | null;
};

/** Where the project's reviewed examples stand: settled by their reviews, disputed, adjudicated. */
export type Outcomes = {
	accepted: number;
	rejected: number;
	waitingForAdjudication: number;
	adjudicated: number;
	gold: number;
};

export type ProjectAgreement = {
	scale: RatingScale;
	level: LevelOfMeasurement;
	alsoLevel: LevelOfMeasurement | null;
	units: number;
	pairableUnits: number;
	reviews: number;
	alpha: Statistic;
	alsoAlpha: Statistic | null;
	interval: Outcome<AlphaInterval>;
	reading: { reading: Reading; text: string } | null;
	fleiss: { kappa: Statistic; raters: number; units: number };
	percentExact: Statistic;
	percentWithinOne: Statistic | null;
	requirements: { id: number; name: string; archived: boolean; units: number; alpha: Statistic }[];
	weekly: { week: string; start: string; units: number; alpha: Statistic }[];
	kappaWeights: 'quadratic' | 'unweighted';
	annotators: { id: string; displayName: string }[];
	kappaPairs: PairKappa[];
	quality: AnnotatorQuality[];
	outcomes: Outcomes;
};

export async function projectAgreement(
	db: Db,
	projectId: number,
	{ seed = 1 }: { seed?: number } = {}
): Promise<ProjectAgreement | null> {
	const target = (await db.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
	if (!target) return null;
	const scale = target.ratingScale;
	const { level, alsoLevel } = levelsOf(scale);

	const rows: ReviewRow[] = await db
		.select({
			id: review.id,
			revisionId: review.revisionId,
			userId: review.userId,
			rating: review.rating,
			decision: review.decision,
			durationMs: review.durationMs,
			createdAt: review.createdAt
		})
		.from(review)
		.innerJoin(example, eq(review.exampleId, example.id))
		.where(eq(example.projectId, projectId))
		.orderBy(asc(review.id));

	const names = new Map(
		(
			await db
				.selectDistinct({ id: user.id, displayName: user.displayName })
				.from(user)
				.innerJoin(review, eq(review.userId, user.id))
				.innerJoin(example, eq(review.exampleId, example.id))
				.where(eq(example.projectId, projectId))
		).map((u) => [u.id, u.displayName])
	);
	const annotators = [...names]
		.map(([id, displayName]) => ({ id, displayName }))
		.sort((a, b) => a.displayName.localeCompare(b.displayName) || a.id.localeCompare(b.id));
	const annotatorIds = annotators.map((a) => a.id);

	const { unitIds, data } = matrixOf(rows, annotatorIds);
	const alpha = alphaOf(data, level);
	const interval: Outcome<AlphaInterval> =
		data.length === 0
			? NO_REVIEWS
			: bootstrapAlpha(data, level, { replicates: BOOTSTRAP_REPLICATES, seed });

	// Weekly series: a unit falls in the ISO week of its latest review.
	const latest = new Map<number, Date>();
	for (const row of rows) {
		const seen = latest.get(row.revisionId);
		if (!seen || row.createdAt > seen) latest.set(row.revisionId, row.createdAt);
	}
	const byWeek = new Map<string, { start: string; data: Rating[][] }>();
	unitIds.forEach((unitId, index) => {
		const { week, start } = isoWeek(latest.get(unitId)!);
		const bucket = byWeek.get(week) ?? { start, data: [] };
		bucket.data.push(data[index]);
		byWeek.set(week, bucket);
	});
	const weekly = [...byWeek]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([week, bucket]) => ({
			week,
			start: bucket.start,
			units: bucket.data.length,
			alpha: krippendorffAlpha(bucket.data, level)
		}));

	const requirements = await requirementAlphas(db, projectId, annotatorIds, level);

	const kappaWeights = level === 'nominal' ? 'unweighted' : 'quadratic';
	const categories = SCALES[scale].map((v) => v.value);
	const kappaPairs: PairKappa[] = [];
	for (let i = 0; i < annotatorIds.length; i++) {
		for (let j = i + 1; j < annotatorIds.length; j++) {
			const shared = data.filter((unit) => unit[i] !== null && unit[j] !== null);
			const kappa: Statistic =
				shared.length < 2
					? { value: null, reason: `they share ${shared.length} unit(s); at least 2 are needed` }
					: cohenKappa(
							shared.map((unit) => [unit[i], unit[j]]),
							kappaWeights,
							categories
						);
			kappaPairs.push({
				a: annotatorIds[i],
				b: annotatorIds[j],
				sharedUnits: shared.length,
				kappa
			});
		}
	}

	const goldReviews = await goldReviewsOf(db, projectId);
	const quality = annotators.map(({ id, displayName }, column): AnnotatorQuality => {
		const mine = rows.filter((r) => r.userId === id);
		const others = rows.filter((r) => r.userId !== id);
		const without = data.map((unit) => unit.filter((_, index) => index !== column));
		const alphaWithout = krippendorffAlpha(without, level);
		const durations = mine.flatMap((r) => (r.durationMs === null ? [] : [r.durationMs / 1000]));
		return {
			userId: id,
			displayName,
			reviews: mine.length,
			alphaWithout,
			effectOnAlpha:
				alpha.value !== null && alphaWithout.value !== null
					? alpha.value - alphaWithout.value
					: null,
			meanRating: mean(mine.map((r) => r.rating)),
			othersMeanRating: mean(others.map((r) => r.rating)),
			repairRate:
				mine.length === 0 ? null : mine.filter((r) => r.decision === 'repair').length / mine.length,
			medianSeconds: median(durations),
			distribution: SCALES[scale].map((v) => ({
				value: v.value,
				label: v.short,
				count: mine.filter((r) => r.rating === v.value).length
			})),
			gold: goldAccuracy(
				goldReviews.filter((r) => r.userId === id),
				scale
			)
		};
	});

	return {
		scale,
		level,
		alsoLevel,
		units: data.length,
		pairableUnits: data.filter((unit) => ratingsIn(unit) >= 2).length,
		reviews: rows.length,
		alpha,
		alsoAlpha: alsoLevel ? alphaOf(data, alsoLevel) : null,
		interval,
		reading: alpha.value === null ? null : readAlpha(alpha.value),
		fleiss: fleissOnModalUnits(data),
		percentExact: percentAgreement(data),
		percentWithinOne: scale === 'five_star' ? percentAgreement(data, { within: 1 }) : null,
		requirements,
		weekly,
		kappaWeights,
		annotators,
		kappaPairs,
		quality,
		outcomes: await outcomesOf(db, projectId)
	};
}

/** Reviews of gold examples' current revisions, with the true rating beside each. */
async function goldReviewsOf(db: Db, projectId: number) {
	return await db
		.select({ userId: review.userId, rating: review.rating, goldRating: example.goldRating })
		.from(review)
		.innerJoin(example, eq(review.revisionId, example.currentRevisionId))
		.where(and(eq(example.projectId, projectId), eq(example.isGold, true)));
}

export function goldAccuracy(
	judged: { rating: number; goldRating: number | null }[],
	scale: RatingScale
): GoldAccuracy {
	const pairs = judged.filter(
		(r): r is { rating: number; goldRating: number } => r.goldRating !== null
	);
	const share = (test: (p: { rating: number; goldRating: number }) => boolean) =>
		pairs.length === 0 ? null : pairs.filter(test).length / pairs.length;
	const stars = scale === 'five_star';
	return {
		judged: pairs.length,
		exact: share((p) => p.rating === p.goldRating),
		withinOne: stars ? share((p) => Math.abs(p.rating - p.goldRating) <= 1) : null,
		meanDifference: stars ? mean(pairs.map((p) => p.rating - p.goldRating)) : null
	};
}

async function outcomesOf(db: Db, projectId: number): Promise<Outcomes> {
	const byStatus = new Map(
		(
			await db
				.select({ status: example.status, n: count() })
				.from(example)
				.where(and(eq(example.projectId, projectId), eq(example.isGold, false), notStaged()))
				.groupBy(example.status)
		).map((r) => [r.status, r.n])
	);
	const adjudicated =
		(
			await db
				.select({ n: countDistinct(adjudication.exampleId) })
				.from(adjudication)
				.innerJoin(example, eq(example.id, adjudication.exampleId))
				.where(eq(example.projectId, projectId))
				.limit(1)
		)[0]?.n ?? 0;
	const gold =
		(
			await db
				.select({ n: count() })
				.from(example)
				.where(and(eq(example.projectId, projectId), eq(example.isGold, true)))
				.limit(1)
		)[0]?.n ?? 0;
	return {
		accepted: byStatus.get('accepted') ?? 0,
		rejected: byStatus.get('rejected') ?? 0,
		waitingForAdjudication: byStatus.get('disputed') ?? 0,
		adjudicated,
		gold
	};
}

/** Alpha per requirement, over the reviews that rated it; archived ones too, marked so. */
async function requirementAlphas(
	db: Db,
	projectId: number,
	annotatorIds: string[],
	level: LevelOfMeasurement
) {
	const criteria = await db
		.select()
		.from(requirement)
		.where(eq(requirement.projectId, projectId))
		.orderBy(asc(requirement.position));
	const ratings = await db
		.select({
			requirementId: reviewRequirementRating.requirementId,
			revisionId: review.revisionId,
			userId: review.userId,
			rating: reviewRequirementRating.rating
		})
		.from(reviewRequirementRating)
		.innerJoin(review, eq(reviewRequirementRating.reviewId, review.id))
		.innerJoin(requirement, eq(reviewRequirementRating.requirementId, requirement.id))
		.where(eq(requirement.projectId, projectId));
	return criteria.map((criterion) => {
		const { data } = matrixOf(
			ratings.filter((r) => r.requirementId === criterion.id),
			annotatorIds
		);
		const alpha: Statistic =
			data.length === 0
				? { value: null, reason: 'nobody has rated this requirement yet' }
				: krippendorffAlpha(data, level);
		return {
			id: criterion.id,
			name: criterion.name,
			archived: criterion.archived,
			units: data.length,
			alpha
		};
	});
}
