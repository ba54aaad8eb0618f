// The common longer username terms: ASCII terms of more than KEPT_TERM_LENGTH characters held by
// more than KEPT_LONG_TERM_MATCHES logins. Each engine's rebuild counts them per type, as it counts
// the short terms, so that such a term's total and facets are read, not counted, however many
// accounts there are; any other longer term is counted, at the cost of its few matches.
import { PROFILE_TYPES } from '../schemas/profiles.js'
import { foldTerm, KEPT_TERM_LENGTH, SORTED_TERM_MATCHES } from './profilesPlan.js'
import { NON_ASCII } from './usernameTerms.js'

/**
 * A longer term held by more logins than this has its counts kept: the matches the planner would
 * rather not count or sort on every request (SORTED_TERM_MATCHES).
 */
export const KEPT_LONG_TERM_MATCHES = SORTED_TERM_MATCHES

interface Tally { login: number, byType: Map<string, number> }

/** A term of ASCII characters as a number, seven bits a character. */
export function termCode (term: string): number {
  let code = 0
  for (let index = 0; index < term.length; index++) code = code * 128 + term.charCodeAt(index)
  return code
}

/** The terms one character longer than the short ones: the first pass counts them. */
export const FIRST_LENGTH = KEPT_TERM_LENGTH + 1

/**
 * Each window's code (termCode) of `width` characters of a login, folded as LIKE folds it, into
 * `codes`; -1 where a window holds a character outside ASCII. Rolled along the login, without
 * slices: most windows are looked up and dropped.
 */
export function readWindowCodes (login: string, width: number, codes: number[]): void {
  const span = 128 ** (width - 1)
  codes.length = Math.max(0, login.length - width + 1)
  let code = 0
  let lastOutside = -1
  for (let index = 0; index < login.length; index++) {
    let char = login.charCodeAt(index)
    if (char > 127) lastOutside = index
    else if (char >= 65 && char <= 90) char += 32
    code = (code % span) * 128 + (char & 127)
    const start = index - width + 1
    if (start >= 0) codes[start] = lastOutside >= start ? -1 : code
  }
}

/**
 * The common longer terms, in two passes over the logins. A term is held by at most as many logins
 * as any term inside it, so a common term is made of common terms one character shorter: the first
 * pass counts the terms of FIRST_LENGTH characters where both shorter terms inside are common; the
 * second, every longer stretch of a login whose terms of FIRST_LENGTH characters are all common.
 */
export class LongTermCounts {
  private passes = 0
  /** The codes of the common terms the next pass builds on, of one character fewer than it counts first. */
  private shorter: Set<number>
  private readonly tallies = new Map<string, Tally>()
  private login = 0
  private type = ''
  /** The code of each window of the current login (of the pass's width), -1 where it holds a character outside ASCII. */
  private readonly windows: number[] = []
  private readonly kept: Array<[term: string, byType: Map<string, number>]> = []
  /** GitHub's types, and any other the logins hold: a type filter finds a kept term's count, 0 included. */
  private readonly types = new Set<string>(PROFILE_TYPES)

  /** From the common terms of KEPT_TERM_LENGTH characters (folded, as the seed counted them); `matches` is the bar. */
  constructor (commonShort: Iterable<string>, private readonly matches = KEPT_LONG_TERM_MATCHES) {
    this.shorter = new Set([...commonShort].filter((term) => term.length === KEPT_TERM_LENGTH && !NON_ASCII.test(term)).map(termCode))
  }

  /** Whether another pass over the logins is wanted. */
  get searching (): boolean {
    return this.passes < 2 && this.shorter.size > 0
  }

  /** One login of this pass, as stored (folded here as LIKE folds it), and its type. */
  add (login: string, type: string): void {
    this.login++
    this.type = type
    this.types.add(type)
    const folded = foldTerm(login)
    const { shorter, windows } = this
    if (this.passes === 0) {
      readWindowCodes(folded, KEPT_TERM_LENGTH, windows)
      for (let start = 0; start + FIRST_LENGTH <= folded.length; start++) {
        if (shorter.has(windows[start]!) && shorter.has(windows[start + 1]!)) this.count(folded.slice(start, start + FIRST_LENGTH))
      }
      return
    }
    readWindowCodes(folded, FIRST_LENGTH, windows)
    for (let start = 0; start + FIRST_LENGTH < folded.length; start++) {
      if (!shorter.has(windows[start]!)) continue
      for (let end = start + FIRST_LENGTH + 1; end <= folded.length && shorter.has(windows[end - FIRST_LENGTH]!); end++) {
        this.count(folded.slice(start, end))
      }
    }
  }

  /** The current login holds `term`: counted once per login. */
  private count (term: string): void {
    let tally = this.tallies.get(term)
    if (!tally) this.tallies.set(term, tally = { login: 0, byType: new Map() })
    if (tally.login === this.login) return
    tally.login = this.login
    tally.byType.set(this.type, (tally.byType.get(this.type) ?? 0) + 1)
  }

  /** Ends a pass: its common terms are kept, and the next pass builds on them. */
  endPass (): void {
    const common = new Set<number>()
    for (const [term, { byType }] of this.tallies) {
      let holders = 0
      for (const count of byType.values()) holders += count
      if (holders <= this.matches) continue
      if (term.length === FIRST_LENGTH) common.add(termCode(term))
      this.kept.push([term, byType])
    }
    this.tallies.clear()
    this.shorter = common
    this.passes++
  }

  /** The common longer terms found. */
  get terms (): string[] {
    return this.kept.map(([term]) => term)
  }

  /**
   * Each common longer term's count in every type, 0 included: a longer term without rows was not
   * kept (a short term's missing row is a count of 0).
   */
  * rows (): Generator<[term: string, type: string, count: number]> {
    for (const [term, byType] of this.kept) {
      for (const type of this.types) yield [term, type, byType.get(type) ?? 0]
    }
  }
}
