import { readerLocale } from '$lib/dates';
import type { LayoutServerLoad } from './$types';

// Only the visitor's own name and role, and the language they read dates in: every page
// guards its own data.
export const load: LayoutServerLoad = ({ locals, request }) => ({
	user: locals.user,
	locale: readerLocale(request.headers.get('accept-language'))
});
