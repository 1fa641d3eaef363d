import { requireProjectAdmin } from '$lib/server/guards';
import { listFineTunes } from '$lib/server/finetune';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return { fineTunes: await listFineTunes(event.locals.db, project.id) };
};
