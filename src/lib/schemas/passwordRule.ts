// The password rule's numbers and its one-line summary, apart from the strength estimator so
// that pages can show the hint without shipping its dictionaries to the browser.

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn's 3: "safely unguessable", about 10^8 guesses or more. */
export const PASSWORD_MIN_SCORE = 3;
export const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters and hard to guess: a few uncommon words work well.`;
