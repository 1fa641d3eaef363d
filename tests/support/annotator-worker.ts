// One process of simulated annotators for the concurrency test: its own connection to the
// database, as a second server process has, claiming and submitting as fast as it can. Its job
// comes as JSON in ANNOTATOR_JOB; its tally goes out as one JSON line.
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { createDb } from '../../src/lib/server/db';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { mulberry32 } from '../../src/lib/random';

type Job = { databaseUrl: string; projectId: number; userIds: string[]; seed: number };
const { databaseUrl, projectId, userIds, seed } = JSON.parse(process.env.ANNOTATOR_JOB!) as Job;
const db = createDb(databaseUrl);

const random = mulberry32(seed);

const tally = { claims: 0, submitted: 0, duplicates: 0, refused: [] as string[], retried: 0 };

async function annotate(userId: string) {
	let next = await claimNext(db, projectId, userId, new Date());
	while (next) {
		tally.claims += 1;
		const current = next;
		// Half the annotators prefetch the next example while "reading", as the review page does.
		const prefetched =
			random() < 0.5
				? await claimNext(db, projectId, userId, new Date(), [current.exampleId])
				: null;
		if (prefetched) tally.claims += 1;
		await yieldToOthers();
		const submission = {
			exampleId: current.exampleId,
			revisionId: current.revisionId,
			rating: 1 + Math.floor(random() * 5),
			requirementRatings: new Map<number, number>(),
			decision: random() < 0.7 ? ('accept' as const) : ('reject' as const),
			submissionKey: `${userId}-${current.exampleId}-${current.revisionId}`
		};
		const result = await submitReview(db, projectId, userId, submission, new Date());
		if (!result.ok) tally.refused.push(result.message);
		else tally.submitted += 1;
		// A retried submit (a lost response) must not make a second review.
		if (random() < 0.1) {
			tally.retried += 1;
			const again = await submitReview(db, projectId, userId, submission, new Date());
			if (again.ok && again.duplicate) tally.duplicates += 1;
		}
		await yieldToOthers();
		next = prefetched ?? (await claimNext(db, projectId, userId, new Date()));
	}
}

await Promise.all(userIds.map((id) => annotate(id)));
await db.close();
process.stdout.write(`${JSON.stringify(tally)}\n`);
