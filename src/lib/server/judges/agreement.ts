import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import {
	bootstrapKappa,
	cohenKappa,
	krippendorffAlpha,
	type KappaInterval,
	type KappaWeights,
	type LevelOfMeasurement,
	type Outcome,
	type Rating,
	type Statistic
} from '../../agreement';
import { aggregate, SCALES, type Aggregation } from '../../ratings';
import { listRequirements } from '../projects';
import type { Db } from '../db';
import {
	example,
	judgment,
	review,
	reviewRequirementRating,
	user,
	type Project
} from '../db/schema';
import { levelsOf } from '../agreement';

// A judge measured as the annotators are: on the outputs that both it and people rated (its
// rating of the current revision, and that revision's final rating), its chance-corrected
// agreement with people's verdict, beside each annotator's agreement with the others on the
// same outputs. A judge is trusted only once the low end of its interval reaches the median
// annotator's; ratings never cross the other way.

export type JudgeAgreement = Measure & {
	/** Judge pass (at or above the threshold) against people's accept or reject. */
	confusion: {
		passAccepted: number;
		passRejected: number;
		failAccepted: number;
		failRejected: number;
	};
	/** Of the outputs people rejected, the share the judge failed too. */
	rejectsCaught: number | null;
	/** Of the outputs the judge failed, the share people accepted. */
	failsAccepted: number | null;
	/** The same measures per requirement: the judge's rating of it against people's. */
	requirements: (Measure & { id: number; name: string })[];
};

const nearestOnScale = (values: number[], rating: number) =>
	values.reduce((best, v) => (Math.abs(v - rating) < Math.abs(best - rating) ? v : best));

const medianOf = (values: number[]) => {
	if (values.length === 0) return null;
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Joins a judgment to its example only while it rates the example's current revision: by the
 * example's key first, since no index holds the current revision alone.
 */
export const ofCurrentRevision = and(
	eq(example.id, judgment.exampleId),
	eq(example.currentRevisionId, judgment.revisionId)
)!;

/** Outputs people have settled: a disputed one has no verdict yet to measure a judge against. */
const settled = () =>
	and(isNotNull(example.finalRating), inArray(example.status, ['accepted', 'rejected']));

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

export async function judgeAgreement(
	db: Db,
	target: Project,
	judgeId: number,
	/** Measure on these revisions only: the outputs several judges share, to compare them. */
	onRevisions?: ReadonlySet<number>
): Promise<JudgeAgreement> {
	const scale = target.ratingScale;
	const values = SCALES[scale].map((v) => v.value);
	const { level } = levelsOf(scale);
	const weights = level === 'nominal' ? 'unweighted' : 'quadratic';
	const rows = await db
		.select({
			revisionId: judgment.revisionId,
			judgeRating: judgment.rating,
			judgeRequirements: judgment.requirementRatings,
			finalRating: example.finalRating,
			status: example.status
		})
		.from(judgment)
		.innerJoin(example, ofCurrentRevision)
		.where(and(eq(judgment.judgeId, judgeId), eq(example.projectId, target.id), settled()))
		.orderBy(judgment.revisionId)
		.then((found) => (onRevisions ? found.filter((r) => onRevisions.has(r.revisionId)) : found));
	const reviewsOf = new Map<number, { userId: string; name: string; rating: number }[]>();
	for (let i = 0; i < rows.length; i += 1000) {
		const ids = rows.slice(i, i + 1000).map((r) => r.revisionId);
		const found = await db
			.select({
				revisionId: review.revisionId,
				userId: review.userId,
				name: user.displayName,
				rating: review.rating
			})
			.from(review)
			.innerJoin(user, eq(user.id, review.userId))
			.where(inArray(review.revisionId, ids));
		for (const one of found) {
			reviewsOf.set(one.revisionId, [...(reviewsOf.get(one.revisionId) ?? []), one]);
		}
	}

	const rules = { values, level, weights, aggregation: target.aggregation, seed: judgeId } as const;
	const overall = measure(
		rows.map((r) => ({
			judge: r.judgeRating,
			consensus: nearestOnScale(values, r.finalRating!),
			humans: reviewsOf.get(r.revisionId) ?? []
		})),
		rules
	);

	// Per requirement: the judge's rating of it against the aggregate of people's ratings of it.
	const requirementRatings = new Map<number, { userId: string; name: string; rating: number }[]>();
	for (let i = 0; i < rows.length; i += 1000) {
		const ids = rows.slice(i, i + 1000).map((r) => r.revisionId);
		const found = await db
			.select({
				revisionId: review.revisionId,
				requirementId: reviewRequirementRating.requirementId,
				userId: review.userId,
				name: user.displayName,
				rating: reviewRequirementRating.rating
			})
			.from(reviewRequirementRating)
			.innerJoin(review, eq(review.id, reviewRequirementRating.reviewId))
			.innerJoin(user, eq(user.id, review.userId))
			.where(inArray(review.revisionId, ids));
		for (const one of found) {
			const key = one.revisionId * 1_000_003 + one.requirementId;
			requirementRatings.set(key, [...(requirementRatings.get(key) ?? []), one]);
		}
	}
	const requirements = (await listRequirements(db, target.id)).map((criterion) => {
		const units = rows.flatMap((r) => {
			const judged = (JSON.parse(r.judgeRequirements) as Record<string, { rating: number }>)[
				criterion.id
			];
			const humans = requirementRatings.get(r.revisionId * 1_000_003 + criterion.id) ?? [];
			const consensus = aggregate(
				humans.map((h) => h.rating),
				target.aggregation
			);
			return judged && consensus !== null
				? [{ judge: judged.rating, consensus: nearestOnScale(values, consensus), humans }]
				: [];
		});
		return { id: criterion.id, name: criterion.name, ...measure(units, rules) };
	});

	const confusion = { passAccepted: 0, passRejected: 0, failAccepted: 0, failRejected: 0 };
	for (const r of rows) {
		const pass = r.judgeRating >= target.threshold;
		const accepted = r.status === 'accepted';
		if (r.status !== 'accepted' && r.status !== 'rejected') continue;
		confusion[
			pass
				? accepted
					? 'passAccepted'
					: 'passRejected'
				: accepted
					? 'failAccepted'
					: 'failRejected'
		]++;
	}
	return {
		...overall,
		confusion,
		rejectsCaught: share(confusion.failRejected, confusion.failRejected + confusion.passRejected),
		failsAccepted: share(confusion.failAccepted, confusion.failAccepted + confusion.failRejected),
		requirements
	};
}

type Unit = {
	judge: number;
	/** People's verdict on the unit, on the scale. */
	consensus: number;
	humans: { userId: string; name: string; rating: number }[];
};

type Rules = {
	values: number[];
	level: LevelOfMeasurement;
	weights: KappaWeights;
	aggregation: Aggregation;
	seed: number;
};

export type Measure = {
	units: number;
	kappa: Outcome<KappaInterval>;
	humanAlpha: Statistic;
	alphaWithJudge: Statistic;
	annotators: { name: string; units: number; kappa: Statistic }[];
	medianAnnotatorKappa: number | null;
	trust: { trusted: boolean; text: string };
};

/** The judge against people's verdicts on the units, beside each annotator against the others. */
function measure(units: Unit[], rules: Rules): Measure {
	const { values, level, weights } = rules;
	const pairs = units.map((u) => [u.judge, u.consensus] as const);
	const kappa: Outcome<KappaInterval> =
		pairs.length < 2
			? { value: null, reason: `${pairs.length} output(s) rated by both; at least 2 are needed` }
			: bootstrapKappa(pairs, weights, values, { replicates: 500, seed: rules.seed });
	const nameOf = new Map<string, string>();
	for (const unit of units) for (const h of unit.humans) nameOf.set(h.userId, h.name);
	const people = [...nameOf.keys()];
	const humans: Rating[][] = units.map((u) =>
		people.map((id) => u.humans.find((h) => h.userId === id)?.rating ?? null)
	);
	// Each annotator against the others' consensus: their own rating left out of it.
	const annotators = people.map((id) => {
		const own: [number, number][] = [];
		for (const unit of units) {
			const mine = unit.humans.find((h) => h.userId === id);
			const others = unit.humans.filter((h) => h !== mine).map((h) => h.rating);
			if (!mine || others.length === 0) continue;
			const consensus = aggregate(others, rules.aggregation);
			if (consensus !== null) own.push([mine.rating, nearestOnScale(values, consensus)]);
		}
		return {
			name: nameOf.get(id)!,
			units: own.length,
			kappa:
				own.length < 2
					? ({ value: null, reason: 'fewer than 2 outputs shared with others' } as Statistic)
					: cohenKappa(own, weights, values)
		};
	});
	const medianAnnotatorKappa = medianOf(
		annotators.flatMap((a) => (a.kappa.value === null ? [] : [a.kappa.value]))
	);
	return {
		units: units.length,
		kappa,
		humanAlpha: krippendorffAlpha(humans, level),
		alphaWithJudge: krippendorffAlpha(
			humans.map((unit, i) => [...unit, units[i].judge]),
			level
		),
		annotators,
		medianAnnotatorKappa,
		trust: trustOf(kappa, medianAnnotatorKappa, units.length)
	};
}

/**
 * Trusted once the interval's low end reaches the median annotator's agreement; until then,
 * how many more outputs rated by both would settle it, from the interval narrowing as 1/√n.
 */
export function trustOf(
	kappa: Outcome<KappaInterval>,
	benchmark: number | null,
	units: number
): { trusted: boolean; text: string } {
	if (kappa.value === null) {
		return { trusted: false, text: `Not measured yet: ${kappa.reason}.` };
	}
	if (benchmark === null) {
		return {
			trusted: false,
			text: 'No annotator can be measured against the others yet: outputs reviewed by two or more people are needed to compare the judge with them.'
		};
	}
	const { kappa: point, lower, upper } = kappa.value;
	const at = benchmark.toFixed(2);
	if (lower >= benchmark) {
		return {
			trusted: true,
			text: `Trusted: the low end of its interval (${lower.toFixed(2)}) reaches the median annotator's agreement (${at}).`
		};
	}
	if (point < benchmark) {
		return {
			trusted: false,
			text: `Not trusted: it agrees with people less (${point.toFixed(2)}) than the median annotator does with the others (${at}); more ratings would not change that unless the rubric improves.`
		};
	}
	const half = (upper - lower) / 2;
	const needed = Math.ceil(units * (half / (point - benchmark)) ** 2);
	return {
		trusted: false,
		text: `Not settled: about ${Math.max(1, needed - units)} more outputs rated by both would show whether it reaches the median annotator's agreement (${at}).`
	};
}

export type JudgesSideBySide = {
	/** The outputs every compared judge rated and people settled. */
	units: number;
	judges: { id: number; name: string; measured: JudgeAgreement }[];
};

/**
 * Several judges (or versions of one rubric) measured on the same outputs: those each of them
 * rated and people settled, so that a better figure is the judge's and not its sample's.
 * Null with fewer than two judges.
 */
export async function judgesSideBySide(
	db: Db,
	target: Project,
	judges: { id: number; name: string }[]
): Promise<JudgesSideBySide | null> {
	if (judges.length < 2) return null;
	const rated = await db
		.select({ judgeId: judgment.judgeId, revisionId: judgment.revisionId })
		.from(judgment)
		.innerJoin(example, ofCurrentRevision)
		.where(
			and(
				eq(example.projectId, target.id),
				settled(),
				inArray(
					judgment.judgeId,
					judges.map((j) => j.id)
				)
			)
		);
	const counts = new Map<number, number>();
	for (const r of rated) counts.set(r.revisionId, (counts.get(r.revisionId) ?? 0) + 1);
	const shared = new Set([...counts].filter(([, n]) => n === judges.length).map(([id]) => id));
	return {
		units: shared.size,
		judges: await Promise.all(
			judges.map(async (j) => ({
				id: j.id,
				name: j.name,
				measured: await judgeAgreement(db, target, j.id, shared)
			}))
		)
	};
}
