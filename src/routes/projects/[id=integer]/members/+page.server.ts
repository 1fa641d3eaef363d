import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { formText } from '$lib/schemas/forms';
import { requireProjectAdmin } from '$lib/server/guards';
import { addMember, listMembers, listNonMembers, removeMember } from '$lib/server/projects';
import { getUser } from '$lib/server/users';
import type { Actions, PageServerLoad } from './$types';

const memberSchema = z.object({ userId: z.string().min(1, 'Choose a person.') });

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	return {
		members: await listMembers(db, project.id),
		candidates: await listNonMembers(db, project.id)
	};
};

export const actions: Actions = {
	add: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = memberSchema.safeParse({
			userId: formText(await event.request.formData(), 'userId')
		});
		if (!parsed.success) return fail(400, { errors: { userId: ['Choose a person to add.'] } });
		const person = await getUser(event.locals.db, parsed.data.userId);
		if (!person || !person.active) {
			return fail(400, { errors: { userId: ['That person does not exist or is deactivated.'] } });
		}
		await addMember(event.locals.db, project.id, person.id);
		return { added: person.displayName };
	},
	remove: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = memberSchema.safeParse({
			userId: formText(await event.request.formData(), 'userId')
		});
		if (!parsed.success) return fail(400, { errors: { userId: ['Choose a person to remove.'] } });
		await removeMember(event.locals.db, project.id, parsed.data.userId);
		return { removed: true };
	}
};
