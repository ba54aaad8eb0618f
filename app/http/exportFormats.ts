// The exports' formats: RFC 4180 CSV with formula-leading fields neutralised, and NDJSON; and their file names.
import type { Profile } from '../schemas/profiles.js'
import type { ExportQuery } from '../store/profilesExportSource.js'

export interface ExportFormat {
  extension: 'csv' | 'ndjson'
  contentType: string
  /** What comes before the first row. */
  header: string
  encode: (rows: Profile[]) => string
}

const FIELDS = ['id', 'username', 'avatar_url', 'type', 'url'] as const

/** A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field: a formula-leading value behind a ', then quoted when it holds a quote, comma or line break. */
export function csvField (value: string | number): string {
  let text = String(value)
  if (FORMULA_START.test(text)) text = `'${text}`
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const CSV: ExportFormat = {
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8; header=present',
  header: `${FIELDS.join(',')}\r\n`,
  encode: (rows) => {
    let text = ''
    for (const row of rows) text += `${FIELDS.map((field) => csvField(row[field])).join(',')}\r\n`
    return text
  }
}

export const NDJSON: ExportFormat = {
  extension: 'ndjson',
  contentType: 'application/x-ndjson',
  header: '',
  encode: (rows) => {
    let text = ''
    // The API's five fields, in its order, whatever else a row holds.
    for (const { id, username, avatar_url: avatarUrl, type, url } of rows) {
      text += `${JSON.stringify({ id, username, avatar_url: avatarUrl, type, url })}\n`
    }
    return text
  }
}

/** A username term as a file-name word: ASCII letters and digits, other runs as one "-"; the UTF-8 bytes in hex when none are left. */
function fileNameWord (term: string): string {
  const word = term.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return word || `x${Buffer.from(term).toString('hex').slice(0, 40)}`
}

/** `ghusers-type-organization-username-an.csv`: the filters and a non-default order, safe in any file system. */
export function exportFileName (query: ExportQuery, format: ExportFormat): string {
  const parts = ['ghusers']
  if (query.type !== undefined) parts.push('type', query.type.toLowerCase())
  if (query.username !== undefined) parts.push('username', fileNameWord(query.username))
  if (query.id !== undefined) parts.push('id', String(query.id))
  if (query.order_by !== 'id') parts.push('order', query.order_by.startsWith('-') ? `${query.order_by.slice(1)}-desc` : query.order_by)
  return `${parts.join('-')}.${format.extension}`
}
