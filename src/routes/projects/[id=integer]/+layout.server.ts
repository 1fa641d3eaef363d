import { requireMember } from '$lib/server/guards';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async (event) => {
	const { project } = await requireMember(event, Number(event.params.id));
	return { project: { id: project.id, name: project.name } };
};
