// Short username terms (1..KEPT_TERM_LENGTH characters, folded as LIKE folds) as the seed counts,
// lists and marks them; an ASCII term also has a number (its code), to be counted in arrays.
import { foldTerm, KEPT_TERM_LENGTH } from './profilesPlan.js'

/** Each distinct term of 1..KEPT_TERM_LENGTH characters (code points, as SQLite's substr counts) in a folded login. */
export function shortTerms (username: string): Set<string> {
  const chars = [...foldTerm(username)]
  const terms = new Set<string>()
  for (let length = 1; length <= KEPT_TERM_LENGTH; length++) {
    for (let start = 0; start + length <= chars.length; start++) terms.add(chars.slice(start, start + length).join(''))
  }
  return terms
}

// ASCII terms are counted in arrays by code: one character c at c, a pair (b, c) at PAIRS + 128b + c,
// three (a, b, c) at TRIPLES + 16384a + 128b + c.
export const PAIRS = 128
export const TRIPLES = PAIRS + 128 * 128
export const ASCII_TERM_CODES = TRIPLES + 128 * 128 * 128

export function asciiTerm (code: number): string {
  if (code < PAIRS) return String.fromCharCode(code)
  if (code < TRIPLES) return String.fromCharCode((code - PAIRS) >> 7, (code - PAIRS) & 127)
  const rest = code - TRIPLES
  return String.fromCharCode(rest >> 14, (rest >> 7) & 127, rest & 127)
}

/** Calls `visit` with the code of each term of 1..KEPT_TERM_LENGTH characters of an ASCII login, folded (a term may repeat). */
export function forEachAsciiTerm (username: string, visit: (code: number) => void): void {
  let first = -1
  let second = -1
  for (let index = 0; index < username.length; index++) {
    let code = username.charCodeAt(index)
    if (code >= 65 && code <= 90) code += 32
    visit(code)
    if (second >= 0) visit(PAIRS + 128 * second + code)
    if (first >= 0) visit(TRIPLES + 16384 * first + 128 * second + code)
    first = second
    second = code
  }
}

/** A character outside ASCII (astral ones are surrogate pairs, inside this range). */
export const NON_ASCII = /[\u0080-\uffff]/

/** The code of a short ASCII term (folded), as forEachAsciiTerm gives it. */
export function asciiTermCode (term: string): number {
  const codes = [...term].map((char) => char.charCodeAt(0))
  if (codes.length === 1) return codes[0]!
  if (codes.length === 2) return PAIRS + 128 * codes[0]! + codes[1]!
  return TRIPLES + 16384 * codes[0]! + 128 * codes[1]! + codes[2]!
}
