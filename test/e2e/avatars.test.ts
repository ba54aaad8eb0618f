/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Avatars when GitHub's image host fails, hangs or answers: a 40×40 box with a placeholder every
// time, so the rows never move, at phone and desktop size.
import type { Page, Route } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowserAndServer, VIEWPORTS, type WatchOptions } from './browserHarness.js'

const PATH = '/users?pagination=10'

const e2e = useBrowserAndServer(100)

/** A big square picture, as GitHub sends (460×460), so a layout that followed it would show. */
const BIG_AVATAR = '<svg xmlns="http://www.w3.org/2000/svg" width="460" height="460"><rect width="460" height="460" fill="#c33"/></svg>'

/** How avatar requests are answered in each case. */
const HOSTS: Record<string, { avatars: WatchOptions['avatars'], loaded: boolean | null }> = {
  'fails (offline)': { avatars: 'abort', loaded: false },
  'never answers': { avatars: () => new Promise<void>(() => {}), loaded: null },
  'answers with a 460×460 picture': {
    avatars: (route: Route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: BIG_AVATAR }),
    loaded: true
  }
}

interface AvatarLayout {
  boxes: Array<{ width: number, height: number, naturalWidth: number, complete: boolean, background: string }>
  /** Where each username link is: the row layout a user sees. */
  links: Array<{ x: number, y: number }>
}

function avatarLayout (): AvatarLayout {
  const images = [...document.querySelectorAll<HTMLImageElement>('.users-table img.avatar')]
  return {
    boxes: images.map((image) => {
      const { width, height } = image.getBoundingClientRect()
      return {
        width,
        height,
        naturalWidth: image.naturalWidth,
        complete: image.complete,
        background: getComputedStyle(image).backgroundImage
      }
    }),
    links: [...document.querySelectorAll('.users-table .users-username a')].map((link) => {
      const { x, y } = link.getBoundingClientRect()
      return { x: Math.round(x), y: Math.round(y + window.scrollY) }
    })
  }
}

/** Lazy images load once near the viewport: bring every row in, then wait until the host's answer is in. */
async function settle (page: Page, loaded: boolean | null) {
  await page.evaluate(async () => {
    for (const image of document.querySelectorAll('.users-table img')) image.scrollIntoView({ block: 'center' })
    window.scrollTo(0, 0)
  })
  if (loaded === null) return
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLImageElement>('.users-table img')].every((image) => image.complete))
}

/** Compares two PNG screenshots pixel by pixel, decoded by the browser on a blank page. */
async function pixelDifference (a: Buffer, b: Buffer) {
  const page = await e2e.browser.newPage()
  try {
    return await page.evaluate(async ([a, b]) => {
      const pixels = async (base64: string) => {
        const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${base64}`)).blob())
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
        const context = canvas.getContext('2d')!
        context.drawImage(bitmap, 0, 0)
        return context.getImageData(0, 0, bitmap.width, bitmap.height)
      }
      const [first, second] = [await pixels(a), await pixels(b)]
      if (first.width !== second.width || first.height !== second.height) return { size: false, differingShare: 1, maxChannel: 255 }
      let differing = 0
      let maxChannel = 0
      for (let i = 0; i < first.data.length; i += 4) {
        const channel = Math.max(...[0, 1, 2, 3].map((c) => Math.abs(first.data[i + c]! - second.data[i + c]!)))
        maxChannel = Math.max(maxChannel, channel)
        if (channel > 48) differing++
      }
      return { size: true, differingShare: differing / (first.width * first.height), maxChannel }
    }, [a.toString('base64'), b.toString('base64')] as const)
  } finally {
    await page.close()
  }
}

describe.each(VIEWPORTS)('at $name size ($width×$height)', (viewport) => {
  it('keeps every avatar a 40×40 box with the placeholder, and the rows in place, whatever the image host does', async () => {
    const layouts: Record<string, AvatarLayout> = {}
    for (const [host, { avatars, loaded }] of Object.entries(HOSTS)) {
      await e2e.withPage({ viewport, avatars }, async ({ page, open }) => {
        await open(PATH)
        await settle(page, loaded)
        const layout = await page.evaluate(avatarLayout)
        expect(layout.boxes, `10 avatars when the host ${host}`).toHaveLength(10)
        for (const box of layout.boxes) {
          expect([box.width, box.height], `avatar box when the host ${host}`).toEqual([40, 40])
          expect(box.background, `placeholder when the host ${host}`).toContain('/static/img/avatar-placeholder.svg')
          if (loaded === true) expect(box.naturalWidth, 'the picture arrived').toBe(460)
          if (loaded === false) expect([box.complete, box.naturalWidth], 'the picture failed').toEqual([true, 0])
        }
        layouts[host] = layout
      })
    }
    const [first, ...others] = Object.entries(layouts)
    for (const [host, layout] of others) {
      expect(layout.links, `rows when the host ${host}, as when it ${first![0]}`).toEqual(first![1].links)
    }
  })

  it('shows the placeholder picture, not a broken-image icon or alt text, when the avatar fails', async () => {
    const pictures: Buffer[] = []
    const placeholder = await (await fetch(`${e2e.baseUrl}/static/img/avatar-placeholder.svg`)).text()
    for (const avatars of ['abort', (route: Route) => route.fulfill({ contentType: 'image/svg+xml', body: placeholder })] as const) {
      await e2e.withPage({ viewport, avatars }, async ({ page, open }) => {
        await open(PATH)
        await settle(page, avatars !== 'abort')
        pictures.push(await page.locator('.users-table img.avatar').first().screenshot({ animations: 'disabled' }))
      })
    }
    // A failed avatar looks like one whose picture is the placeholder itself (up to anti-aliasing).
    const difference = await pixelDifference(pictures[0]!, pictures[1]!)
    expect(difference.size, 'same size').toBe(true)
    expect(difference.differingShare, 'pixels that differ visibly').toBeLessThan(0.01)
  })
})
