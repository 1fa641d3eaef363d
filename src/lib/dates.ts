/**
 * Dates as the reader writes them: in the language their browser asks for, in their own time
 * zone once the page runs (the server, not knowing the zone, writes UTC and says so).
 */

/** The reader's locale from an Accept-Language header: its first one this runtime knows. */
export function readerLocale(acceptLanguage: string | null): string {
	const asked = (acceptLanguage ?? '')
		.split(',')
		.map((part) => part.split(';')[0].trim())
		.filter((tag) => tag !== '' && tag !== '*');
	for (const tag of asked) {
		try {
			const [known] = Intl.DateTimeFormat.supportedLocalesOf(tag);
			if (known) return known;
		} catch {
			// Not a well-formed language tag: try the next one.
		}
	}
	return 'en';
}

/** A moment in the reader's locale; in UTC, marked as such, when no time zone is given. */
export function formatMoment(
	at: Date,
	locale: string,
	{ timeZone, dateOnly = false }: { timeZone?: string; dateOnly?: boolean } = {}
): string {
	const text = at.toLocaleString(locale, {
		dateStyle: 'medium',
		...(dateOnly ? {} : { timeStyle: 'short' }),
		timeZone: timeZone ?? 'UTC'
	});
	return timeZone || dateOnly ? text : `${text} UTC`;
}
