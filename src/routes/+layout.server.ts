import type { LayoutServerLoad } from './$types';

// Only the visitor's own name and role: every page guards its own data.
export const load: LayoutServerLoad = ({ locals }) => ({ user: locals.user });
