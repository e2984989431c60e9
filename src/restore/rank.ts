/**
 * Re-ranks trigram candidates the way a person reads them. Trigrams find "alcie smith" but score
 * Alan Smith as high as Alice Smith; counting a swapped or missing letter as one edit puts
 * the intended account first.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prevPrev[j - 2] as number) + 1);
      }
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

const WORD_SPLIT = /[\s@._+-]+/;

/**
 * How well one query word matches one word: 1 exact or prefix, 0.75 or 0.5 with one or two edits
 * (two from seven letters on), 0 otherwise. Search corrects a misspelt word by this rule too.
 */
export function termScore(queryWord: string, word: string): number {
  return wordScore(queryWord, [word]);
}

/** How well one query word matches the best word of the text: 1 exact or prefix, less per edit. */
function wordScore(queryWord: string, words: string[]): number {
  let best = 0;
  for (const word of words) {
    if (word === queryWord || word.startsWith(queryWord)) return 1;
    if (queryWord.length < 4) continue; // one edit in three letters is another word
    const allowed = queryWord.length >= 7 ? 2 : 1;
    const d = editDistance(queryWord, word.slice(0, queryWord.length + 1), allowed);
    const prefixD = editDistance(queryWord, word.slice(0, queryWord.length), allowed);
    const edits = Math.min(d, prefixD);
    if (edits <= allowed) best = Math.max(best, 1 - edits * 0.25);
  }
  return best;
}

/** 0..1: the share of the query's words that the text holds, allowing for typos. */
export function typoScore(query: string, text: string): number {
  const queryWords = query.split(WORD_SPLIT).filter(Boolean);
  if (queryWords.length === 0) return 0;
  const words = text.split(WORD_SPLIT).filter(Boolean);
  let total = 0;
  for (const q of queryWords) total += wordScore(q, words);
  return total / queryWords.length;
}
