import { error, json } from '@sveltejs/kit';
import { z } from 'zod';
import { requireMember } from '$lib/server/guards';
import { queueProgress } from '$lib/server/queue';
import { claimForScreen } from '$lib/server/reviewScreen';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	skip: z.array(z.number().int().positive()).max(20).default([]),
	prefer: z.number().int().positive().optional()
});

/** Claims the next example for the review screen's prefetch; the ones on screen are skipped. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await requireMember(event, Number(event.params.id));
	const parsed = bodySchema.safeParse(await event.request.json().catch(() => null));
	if (!parsed.success) error(400, 'Send {"skip": [example ids]}.');
	const now = new Date();
	// The progress reads nothing the claim writes (leases, the audit mark): on PostgreSQL it
	// runs on another connection meanwhile, a round trip less for the annotator to wait.
	const [next, progress] = await Promise.all([
		claimForScreen(event.locals.db, project.id, user.id, now, parsed.data.skip, parsed.data.prefer),
		queueProgress(event.locals.db, project.id, user.id, now)
	]);
	return json({ next, progress });
};
