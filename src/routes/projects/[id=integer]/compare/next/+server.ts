import { error, json } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requireMember } from '$lib/server/guards';
import { claimComparison, comparisonProgress } from '$lib/server/comparisons/queue';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	skip: z.array(z.number().int().positive()).max(20).default([]),
	prefer: z.number().int().positive().optional()
});

/** Claims the next comparison for the compare screen's prefetch; the ones on screen are left. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await requireMember(event, Number(event.params.id));
	const parsed = bodySchema.safeParse(await event.request.json().catch(() => null));
	if (!parsed.success) error(400, 'Send {"skip": [comparison ids]}.');
	const db = event.locals.db;
	const now = new Date();
	const { skip, prefer } = parsed.data;
	const claimed = await claimComparison(db, project.id, user.id, now, skip, undefined, prefer);
	return json({
		next: claimed && { ...claimed, submissionKey: randomUUID() },
		progress: await comparisonProgress(db, project.id, user.id, now)
	});
};
