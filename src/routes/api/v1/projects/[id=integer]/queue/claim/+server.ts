import { json } from '@sveltejs/kit';
import { apiMember } from '$lib/server/guards';
import { claimForScreen } from '$lib/server/reviewScreen';
import type { RequestHandler } from './$types';

/** The next example for the token's owner, leased as the review screen leases it. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await apiMember(event, Number(event.params.id));
	if (project.archivedAt) {
		return json(
			{ message: 'This project is archived: its queue serves nothing.' },
			{ status: 409 }
		);
	}
	return json({ item: await claimForScreen(event.locals.db, project.id, user.id, new Date()) });
};
