/** @module app/initials: the letters an avatar shows when a member has no picture. */

/** The first letters of the display name's first two words, or the username's first letter; upper case. */
export function initialsOf(username: string, displayName = ''): string {
  const words = displayName.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 0 ? words.slice(0, 2).map((w) => [...w][0] ?? '') : [[...username][0] ?? '?'];
  return letters.join('').toUpperCase();
}
