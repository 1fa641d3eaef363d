import { error, json } from '@sveltejs/kit';
import { z } from 'zod';
import { requireMember } from '$lib/server/guards';
import { renewLeases } from '$lib/server/queue';
import type { RequestHandler } from './$types';

const bodySchema = z.object({ exampleIds: z.array(z.number().int().positive()).min(1).max(20) });

/** Keeps the leases of the examples on screen alive while the review page is open. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await requireMember(event, Number(event.params.id));
	const parsed = bodySchema.safeParse(await event.request.json().catch(() => null));
	if (!parsed.success) error(400, 'Send {"exampleIds": [example ids]}.');
	const renewed = await renewLeases(
		event.locals.db,
		project.id,
		user.id,
		parsed.data.exampleIds,
		new Date()
	);
	return json({ renewed });
};
