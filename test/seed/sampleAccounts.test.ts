// The sample source: deterministic, GitHub-shaped, stable under --total and --since.
import { describe, expect, it } from 'vitest'
import type { Profile } from '../../app/schemas/profiles.js'
import { firstSampleIndexAfter, sampleAccountAt, sampleAccounts } from '../../app/seed/sampleAccounts.js'

async function collect (batches: AsyncIterable<Profile[]>): Promise<Profile[]> {
  const all: Profile[] = []
  for await (const batch of batches) all.push(...batch)
  return all
}

// GitHub logins: 1..39 characters, letters, digits and single hyphens, no hyphen at either end.
const GITHUB_LOGIN = /^(?=.{1,39}$)[a-z\d](?:[a-z\d]|-(?=[a-z\d]))*$/i

describe('sampleAccounts', () => {
  it('is stable: the first N accounts of a larger run are the accounts of a run of N', async () => {
    const small = await collect(sampleAccounts({ since: 0, total: 150 }))
    const large = await collect(sampleAccounts({ since: 0, total: 2500, batchSize: 700 }))
    expect(small).toHaveLength(150)
    expect(large.slice(0, 150)).toEqual(small)
  })

  it('gives increasing ids with gaps, unique plausible logins and GitHub-shaped URLs', async () => {
    const accounts = await collect(sampleAccounts({ since: 0, total: 5000 }))
    const gaps = accounts.slice(1).map((account, i) => account.id - accounts[i]!.id)
    expect(Math.min(...gaps)).toBeGreaterThan(0)
    expect(Math.max(...gaps)).toBeGreaterThan(1)
    expect(new Set(accounts.map((a) => a.username.toLowerCase())).size).toBe(accounts.length)
    for (const account of accounts) {
      expect(account.username).toMatch(GITHUB_LOGIN)
      expect(account.avatar_url).toBe(`https://avatars.githubusercontent.com/u/${account.id}?v=4`)
      expect(account.url).toBe(`https://github.com/${account.username}`)
      expect(['User', 'Organization', 'Bot']).toContain(account.type)
    }
    const organizations = accounts.filter((a) => a.type === 'Organization').length / accounts.length
    expect(organizations).toBeGreaterThan(0.07)
    expect(organizations).toBeLessThan(0.13)
  })

  it('starts after --since, and continues a run exactly', async () => {
    const whole = await collect(sampleAccounts({ since: 0, total: 300 }))
    const cut = whole[99]!.id
    const rest = await collect(sampleAccounts({ since: cut, total: 200 }))
    expect(rest).toEqual(whole.slice(100))
    // An id in a gap, or before the first account, starts at the next account.
    expect(sampleAccountAt(firstSampleIndexAfter(cut + 1)).id).toBeGreaterThan(cut + 1)
    expect(firstSampleIndexAfter(0)).toBe(0)
  })
})
