import { requireProjectAdmin } from '$lib/server/guards';
import { listFineTunes } from '$lib/server/finetune';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	const { project } = requireProjectAdmin(event, Number(event.params.id));
	return { fineTunes: listFineTunes(event.locals.db, project.id) };
};
