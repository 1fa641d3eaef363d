import { z } from 'zod';
import { checkPassword } from './password';

export const usernameSchema = z
	.string()
	.trim()
	.toLowerCase()
	.min(3, 'Use at least 3 characters.')
	.max(32, 'Use at most 32 characters.')
	.regex(/^[a-z0-9_.-]+$/, 'Use letters, digits, dots, dashes and underscores only.');

export const displayNameSchema = z
	.string()
	.trim()
	.min(1, 'Give a name to show to others.')
	.max(80, 'Use at most 80 characters.');

export const loginSchema = z.object({
	username: z.string().trim().min(1, 'Enter your username.'),
	password: z.string().min(1, 'Enter your password.')
});

// Every form that sets a password checks it with checkPassword, against the names the
// person goes by; a form's other fields failing does not hide the password's problems.

export const setupSchema = z
	.object({
		username: usernameSchema,
		displayName: displayNameSchema,
		password: z.string(),
		confirmPassword: z.string()
	})
	.superRefine((v, ctx) => {
		checkPassword(ctx, v.password, [v.username, v.displayName]);
		if (v.password !== v.confirmPassword) {
			ctx.addIssue({
				code: 'custom',
				path: ['confirmPassword'],
				message: 'The two passwords differ.'
			});
		}
	});

export const newUserSchema = z
	.object({
		username: usernameSchema,
		displayName: displayNameSchema,
		password: z.string(),
		role: z.enum(['admin', 'annotator'], 'Choose a role.')
	})
	.superRefine((v, ctx) => checkPassword(ctx, v.password, [v.username, v.displayName]));

/** An admin's reset; `userInputs` are the names of the person whose password it is. */
export const resetPasswordSchema = (userInputs: string[]) =>
	z
		.object({ userId: z.string().min(1), password: z.string() })
		.superRefine((v, ctx) => checkPassword(ctx, v.password, userInputs));

/** A person changing their own password, which they prove they know first. */
export const changePasswordSchema = (userInputs: string[]) =>
	z
		.object({
			currentPassword: z.string().min(1, 'Enter your current password.'),
			password: z.string(),
			confirmPassword: z.string()
		})
		.superRefine((v, ctx) => {
			checkPassword(ctx, v.password, userInputs);
			if (v.password !== v.confirmPassword) {
				ctx.addIssue({
					code: 'custom',
					path: ['confirmPassword'],
					message: 'The two passwords differ.'
				});
			}
		});

export const setRoleSchema = z.object({
	userId: z.string().min(1),
	role: z.enum(['admin', 'annotator'], 'Choose a role.')
});

export const revokeTokenSchema = z.object({
	userId: z.string().min(1),
	tokenId: z.coerce.number().int().positive()
});

export const setActiveSchema = z.object({
	userId: z.string().min(1),
	active: z.enum(['true', 'false']).transform((v) => v === 'true')
});

/**
 * Where to go after logging in: `next` read as the browser will read it, against this site's
 * origin, and kept only if it stays on this site; anything else goes home. Comparing the
 * resolved origin, not the raw text, is what catches `/\t/evil.com`, `/\\evil.com` and
 * ` //evil.com`, which browsers read as another host. The URL parser also drops CR, LF and tab
 * and percent-encodes what a Location header cannot hold.
 */
export function safeNext(next: string | null, origin: string): string {
	if (!next) return '/';
	let target: URL;
	try {
		target = new URL(next, origin);
	} catch {
		return '/';
	}
	if (target.origin !== new URL(origin).origin) return '/';
	return target.pathname + target.search + target.hash;
}
