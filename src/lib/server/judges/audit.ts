import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../db';
import { example, judge, judgment, type Project } from '../db/schema';
import { notStaged } from '../import/staging';
import { wilsonInterval } from '../../agreement';
import { auditCut } from '../queue';
import { ofCurrentRevision } from './agreement';
import { predictionPoweredShare, type ShareInterval } from './estimates';

// What the audit sample tells that the judge-guided queue cannot: outputs chosen at random and
// served in random order, so people's verdicts on them estimate the project's acceptance rate
// and each judge's errors without the bias of the judges having chosen what people saw.

export type Rate = { share: number; low: number; high: number; of: number };

export type AuditJudge = {
	id: number;
	name: string;
	/** Audit outputs with both the judge's rating of the current revision and people's verdict. */
	rated: number;
	/** Of the audit outputs people rejected, the share the judge passed. */
	missedRejects: Rate | null;
	/** Of the audit outputs people accepted, the share the judge failed. */
	failedAccepts: Rate | null;
	/** The acceptance rate from the judge on every output it rated, corrected on the sample. */
	predictionPowered: ShareInterval | null;
};

export type AuditEstimates = {
	auditShare: number;
	/** Outputs in the sample now (by the current share). */
	members: number;
	/**
	 * Outputs served from the sample, and of them those people settled (accepted or rejected)
	 * or are disputed: the estimates rest on the settled ones.
	 */
	served: number;
	settled: number;
	disputed: number;
	/** The acceptance rate from the sample alone. */
	accepted: Rate | null;
	/** Every settled output, the guided ones too: biased once the judges choose the order. */
	allSettled: { accepted: number; of: number };
	judges: AuditJudge[];
};

function rate(part: number, whole: number): Rate | null {
	const interval = wilsonInterval(part, whole);
	return interval ? { share: part / whole, ...interval, of: whole } : null;
}

export async function auditEstimates(db: Db, target: Project): Promise<AuditEstimates> {
	const cut = auditCut(target.auditShare);
	const outputs = await db
		.select({
			id: example.id,
			randomKey: example.randomKey,
			audited: example.audited,
			status: example.status,
			revisionId: example.currentRevisionId
		})
		.from(example)
		.where(
			and(eq(example.projectId, target.id), isNotNull(example.currentRevisionId), notStaged())
		);
	const verdictOf = (status: string) =>
		status === 'accepted' ? 1 : status === 'rejected' ? 0 : null;
	// What was served from the sample, not what the sample holds now: a share raised later would
	// count outputs the judges had already chosen.
	const served = outputs.filter((o) => o.audited);
	const settledSample = served.filter((o) => verdictOf(o.status) !== null);
	const settledAll = outputs.filter((o) => verdictOf(o.status) !== null);

	const judges = await db
		.select({ id: judge.id, name: judge.name })
		.from(judge)
		.where(eq(judge.projectId, target.id))
		.orderBy(judge.name);
	const ratings = await db
		.select({ judgeId: judgment.judgeId, exampleId: judgment.exampleId, rating: judgment.rating })
		.from(judgment)
		.innerJoin(example, ofCurrentRevision)
		.where(
			and(
				eq(example.projectId, target.id),
				inArray(
					judgment.judgeId,
					judges.map((j) => j.id)
				)
			)
		);
	const inSample = new Map(settledSample.map((o) => [o.id, verdictOf(o.status)!]));
	return {
		auditShare: target.auditShare,
		members: outputs.filter((o) => o.randomKey < cut).length,
		served: served.length,
		settled: settledSample.length,
		disputed: served.filter((o) => o.status === 'disputed').length,
		accepted: rate(
			settledSample.filter((o) => o.status === 'accepted').length,
			settledSample.length
		),
		allSettled: {
			accepted: settledAll.filter((o) => o.status === 'accepted').length,
			of: settledAll.length
		},
		judges: judges.map((j) => {
			const mine = ratings.filter((r) => r.judgeId === j.id);
			const both: { judge: number; human: number }[] = [];
			const judgeOnly: number[] = [];
			for (const r of mine) {
				const passes = r.rating >= target.threshold ? 1 : 0;
				const human = inSample.get(r.exampleId);
				if (human === undefined) judgeOnly.push(passes);
				else both.push({ judge: passes, human });
			}
			const rejected = both.filter((b) => b.human === 0);
			const accepted = both.filter((b) => b.human === 1);
			return {
				id: j.id,
				name: j.name,
				rated: both.length,
				missedRejects: rate(rejected.filter((b) => b.judge === 1).length, rejected.length),
				failedAccepts: rate(accepted.filter((b) => b.judge === 0).length, accepted.length),
				predictionPowered: predictionPoweredShare({ judgeOnly, both })
			};
		})
	};
}
