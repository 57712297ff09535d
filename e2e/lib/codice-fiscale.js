// The codice fiscale's check character (the 16th), as the Agenzia delle Entrate computes it
// (DM 23 dicembre 1976): journeys can make up a valid code for someone not in the demo data.

// Characters in odd positions (1st, 3rd... 15th): digits count as the letter in the same place.
const ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

function value(ch, odd) {
  const code = ch.charCodeAt(0);
  const index = code >= 48 && code <= 57 ? code - 48 : code - 65;
  if (index < 0 || index > 25) throw new Error(`not a codice fiscale character: "${ch}"`);
  return odd ? ODD[index] : index;
}

/** The check character for the first 15 characters of a codice fiscale (upper case). */
export function checkCharacter(first15) {
  if (!/^[A-Z0-9]{15}$/.test(first15)) throw new Error(`expected 15 characters A-Z 0-9, got "${first15}"`);
  let sum = 0;
  for (let i = 0; i < 15; i += 1) sum += value(first15[i], i % 2 === 0);
  return String.fromCharCode(65 + (sum % 26));
}

/** The whole code: the 15 characters followed by their check character. */
export function withCheckCharacter(first15) {
  return first15 + checkCharacter(first15);
}
